// Parse the command, dispatch, and turn any error into its exit code (src/cli/entry.ts exits).
import { exitCodeFor, messageFor } from "./exit-code.js";

const USAGE = `bootgate — make a docker-compose stack secure itself at every boot

usage:
  bootgate run [--only <stage>] [--config FILE] [--json]
  bootgate wait <gate>... [--timeout 60s] [-- command args...]
  bootgate status [--json]
  bootgate up --local
  bootgate token <user> [--ttl 1h] | token --enroll <service> [--ttl 15m]
  bootgate enroll --server URL --service NAME --out DIR (--fingerprint SHA256 | --psk-file FILE) [--token T | --token-file FILE] [--renew] [-- cmd args...]
  bootgate snapshot save [--out FILE] | restore FILE
  bootgate revoke <service>
  bootgate agent [--config FILE]
  bootgate ca csr --out FILE | ca install FILE

Every command takes --secrets-dir DIR (or BOOTGATE_SECRETS_DIR) and --config FILE (or BOOTGATE_CONFIG).
Exit codes: 0 done, 1 a stage failed, 2 bad config or usage, 124 a wait timed out.`;

type Command = (argv: string[]) => Promise<number>;

// Lazy imports: `wait` runs in every container and should not load the PKI or Vault code.
const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import("./run.js")).runCommandLine,
  wait: async () => (await import("./wait.js")).waitCommand,
  status: async () => (await import("./status.js")).statusCommand,
  up: async () => (await import("./up.js")).upCommand,
  token: async () => (await import("./token.js")).tokenCommand,
  snapshot: async () => (await import("./snapshot.js")).snapshotCommand,
  revoke: async () => (await import("./revoke.js")).revokeCommand,
  agent: async () => (await import("./agent.js")).agentCommand,
  ca: async () => (await import("./ca.js")).caCommand,
  enroll: async () => (await import("./enroll.js")).enrollCommand,
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(USAGE + "\n");
    return name ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load) {
    process.stderr.write(`bootgate: unknown command \`${name}\`\n\n${USAGE}\n`);
    return 2;
  }
  try {
    return await (
      await load()
    )(rest);
  } catch (error) {
    process.stderr.write(`bootgate ${name}: ${messageFor(error)}\n`);
    if (process.env.BOOTGATE_DEBUG && error instanceof Error && error.stack) process.stderr.write(error.stack + "\n");
    return exitCodeFor(error);
  }
}
