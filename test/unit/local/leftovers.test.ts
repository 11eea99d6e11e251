// What the next `up` looks at to clear a crashed one's leftovers: who holds a port, whether a
// process is this stack's, and the record in the state folder.
import { spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { isOfThisStack } from "../../../src/local/leftovers.js";
import { readRecord, recordPath, removeRecord, writeRecord } from "../../../src/local/process-record.js";
import { listeningInodes, socketHolders } from "../../../src/servers/port-holder.js";
import { identityOf } from "../../../src/servers/proc-identity.js";
import { tempDir } from "../../support/tmp-dir.js";
import { readFileSync, writeFileSync } from "node:fs";

const TCP_TABLE = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:2008 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
   1: 0100007F:2008 0100007F:D2A4 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0000000000000000 20 4 30 10 -1
   2: 00000000:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   101        0 4444 1 0000000000000000 100 0 0 10 0
`;

describe("who holds a port", () => {
  it("should find the listening sockets on a port, on any address, and not its connections", () => {
    expect(listeningInodes(8200, [TCP_TABLE])).toEqual(["4242"]);
    expect(listeningInodes(5432, [TCP_TABLE])).toEqual(["4444"]);
    expect(listeningInodes(8443, [TCP_TABLE])).toEqual([]);
  });

  it("should name the process that listens on a real port", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const { port } = server.address() as { port: number };
    try {
      expect(socketHolders(listeningInodes(port))).toEqual([process.pid]);
    } finally {
      server.close();
    }
  });
});

describe("whether a process is this stack's", () => {
  const scope = { stateDir: "/tmp/checkout/state", secretsDir: "/tmp/checkout/secrets-volume" };

  async function processWith(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ pid: number; kill(): void }> {
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", "--", ...args], { env: { PATH: process.env.PATH, ...env }, stdio: "ignore" });
    while (!identityOf(child.pid!)) await new Promise((r) => setTimeout(r, 10));
    // The command line is the new program's only once exec is done.
    while (!readCmd(child.pid!).includes("setInterval")) await new Promise((r) => setTimeout(r, 10));
    return { pid: child.pid!, kill: () => child.kill("SIGKILL") };
  }

  it("should say yes to a command line naming a file in its state folder, as an option's value too", async () => {
    for (const args of [
      ["/tmp/checkout/state/openbao/bao.hcl"],
      ["-config=/tmp/checkout/state/openbao/bao.hcl"],
      ["-p /tmp/checkout/secrets-volume/gateway/nginx"],
    ]) {
      const p = await processWith(args);
      expect(isOfThisStack(p.pid, scope), args.join(" ")).toBe(true);
      p.kill();
    }
  });

  it("should say yes to an example service, whose environment points at its secrets folder", async () => {
    const p = await processWith([], { BOOTGATE_SECRETS_DIR: scope.secretsDir });
    expect(isOfThisStack(p.pid, scope)).toBe(true);
    p.kill();
  });

  it("should say no to a process of a neighbouring folder or of another stack", async () => {
    for (const [args, env] of [
      [["/tmp/checkout/state2/x"], {}],
      [["/other/tmp/checkout/state/x"], {}],
      [[], { BOOTGATE_SECRETS_DIR: "/elsewhere/secrets-volume" }],
    ] as const) {
      const p = await processWith([...args], env);
      expect(isOfThisStack(p.pid, scope), `${args.join(" ")} ${JSON.stringify(env)}`).toBe(false);
      p.kill();
    }
  });
});

function readCmd(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return "";
  }
}

describe("the record of a running up", () => {
  it("should keep this process's identity and the parts, and read nothing from a file edited by hand", async () => {
    await using dir = await tempDir();
    await mkdir(dir.path, { recursive: true });
    const part = { name: "openbao", pid: 4242, startTime: 17, stopSignal: "SIGTERM" as const, graceMs: 5_000 };
    writeRecord(dir.path, [part], { pid: 99, startTime: 3 });
    expect(readRecord(dir.path)).toMatchObject({ up: identityOf(process.pid), watchdog: { pid: 99, startTime: 3 }, parts: [part] });
    writeFileSync(recordPath(dir.path), "{ not json");
    expect(readRecord(dir.path)).toBeUndefined();
    removeRecord(dir.path);
    expect(readRecord(join(dir.path))).toBeUndefined();
  });
});
