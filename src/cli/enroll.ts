// bootgate enroll --server URL [--server-name bootgate] --service NAME --out DIR
//   (--fingerprint SHA256 | --psk-file FILE) [--token T | --token-file FILE] [--name N]...
//   [--renew [--reload-signal SIGHUP]] [-- command args...]
// Run on the remote host (docs/enroll.md). Secrets come from files or the token flag's value only
// (a token is one-time and short-lived; --token-file keeps it out of argv too); nothing secret is printed.
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { UsageError } from "../errors.js";
import { normalizeFingerprint } from "../enroll/ca-bundle.js";
import { type Credential, EnrollError, enrollOnce, fetchParameters, fetchTrustedCa, type Trust } from "../enroll/enroll-client.js";
import { readPskFile } from "../enroll/psk-key.js";
import { renewLoop } from "../enroll/renew-loop.js";
import { runCommand } from "../gates/run-command.js";
import { SERVICE_FILES } from "../volume/layout.js";
import { parse } from "./options.js";

export const ENROLL_USAGE =
  "usage: bootgate enroll --server URL [--server-name bootgate] --service NAME --out DIR (--fingerprint SHA256 | --psk-file FILE) " +
  "[--token T | --token-file FILE] [--name DNS-OR-IP]... [--renew [--reload-signal SIGHUP]] [-- command args...]";

const SERVICE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export async function enrollCommand(argv: string[]): Promise<number> {
  const split = argv.indexOf("--");
  const own = split === -1 ? argv : argv.slice(0, split);
  const command = split === -1 ? [] : argv.slice(split + 1);
  const { values } = parse("enroll", own, {
    server: { type: "string" },
    "server-name": { type: "string" },
    service: { type: "string" },
    out: { type: "string" },
    fingerprint: { type: "string" },
    "psk-file": { type: "string" },
    token: { type: "string" },
    "token-file": { type: "string" },
    name: { type: "string", multiple: true },
    renew: { type: "boolean", default: false },
    "reload-signal": { type: "string" },
  });
  if (values.help) {
    process.stdout.write(ENROLL_USAGE + "\n");
    return 0;
  }
  const need = (flag: string, value: string | undefined) => {
    if (!value) throw new UsageError(`bootgate enroll: expected \`--${flag}\`\n${ENROLL_USAGE}`);
    return value;
  };
  const server = need("server", values.server);
  if (!URL.canParse(server) || new URL(server).protocol !== "https:" || !new URL(server).port)
    throw new UsageError(`bootgate enroll: expected \`--server\` to be https://HOST:PORT (the agent's agent.enroll.listen), got \`${server}\``);
  const url = new URL(server);
  const service = need("service", values.service);
  if (!SERVICE.test(service)) throw new UsageError(`bootgate enroll: expected \`--service\` to be a service name (a DNS label), got \`${service}\``);
  const outDir = resolve(need("out", values.out));
  if ((values.fingerprint === undefined) === (values["psk-file"] === undefined))
    throw new UsageError(`bootgate enroll: expected exactly one of \`--fingerprint\` and \`--psk-file\`\n${ENROLL_USAGE}`);
  if (values.token !== undefined && values["token-file"] !== undefined)
    throw new UsageError("bootgate enroll: expected at most one of `--token` and `--token-file`");
  let trust: Trust;
  if (values.fingerprint !== undefined) {
    const fingerprint = normalizeFingerprint(values.fingerprint);
    if (!fingerprint)
      throw new UsageError(`bootgate enroll: expected \`--fingerprint\` to be a SHA-256 in hex (64 digits, colons optional), got \`${values.fingerprint}\``);
    trust = { fingerprint };
  } else {
    try {
      trust = { psk: await readPskFile(values["psk-file"]!, "bootgate enroll --psk-file") };
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
  }
  let token = values.token;
  if (values["token-file"] !== undefined) {
    token = (
      await readFile(values["token-file"], "utf8").catch((error: NodeJS.ErrnoException) => {
        throw new UsageError(`bootgate enroll: cannot read --token-file ${values["token-file"]} (${error.code ?? "unreadable"})`);
      })
    ).trim();
  }
  if (token === undefined && !("psk" in trust))
    throw new UsageError("bootgate enroll: expected `--token` or `--token-file` (or `--psk-file`, which may stand in for a token)");
  const reloadSignal = (values["reload-signal"] ?? "SIGHUP") as NodeJS.Signals;
  if (values["reload-signal"] !== undefined) {
    const { isReloadSignal } = await import("../docker/signals.js");
    if (!isReloadSignal(values["reload-signal"]))
      throw new UsageError(`bootgate enroll: expected \`--reload-signal\` to be a signal name such as SIGHUP, got \`${values["reload-signal"]}\``);
  }
  if (split !== -1 && command.length === 0) throw new UsageError("bootgate enroll: expected a command after `--`");

  const target = { host: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port), serverName: values["server-name"] ?? "bootgate" };
  const say = (line: string) => process.stderr.write(`bootgate enroll: ${line}\n`);
  try {
    // Nothing that carries a secret is sent before the CA is trusted.
    const ca = await fetchTrustedCa(target, trust);
    const params = await fetchParameters(target, ca);
    const credential: Credential = token !== undefined ? { token } : { pskKey: ca.pskKey! };
    const names = values.name ?? [];
    const leaf = await enrollOnce(target, ca, params, { service, names, outDir, credential });
    say(`enrolled ${service}: ${outDir}/${SERVICE_FILES.cert} (serial ${leaf.serial}, valid until ${leaf.notAfter.toISOString()})`);
    if (values.json) process.stdout.write(JSON.stringify({ service, out: outDir, serial: leaf.serial, notAfter: leaf.notAfter.toISOString() }) + "\n");
    if (!values.renew && command.length === 0) return 0;

    const stop = new AbortController();
    let signalChild: ((s: NodeJS.Signals) => void) | undefined;
    const readIdentity = async () => ({
      certPem: await readFile(resolve(outDir, SERVICE_FILES.cert), "utf8"),
      keyPem: await readFile(resolve(outDir, SERVICE_FILES.key), "utf8"),
    });
    const loop = values.renew
      ? renewLoop(leaf, {
          target,
          ca,
          params,
          service,
          names,
          outDir,
          readIdentity,
          log: say,
          signal: stop.signal,
          onRenewed: () => {
            if (signalChild) {
              say(`sending ${reloadSignal} to the command`);
              signalChild(reloadSignal);
            }
          },
        })
      : Promise.resolve();
    if (command.length === 0) {
      for (const s of ["SIGTERM", "SIGINT"] as const) process.once(s, () => stop.abort());
      await loop;
      return 0;
    }
    const code = await runCommand(command[0]!, command.slice(1), (kill) => {
      signalChild = kill;
      return undefined;
    });
    stop.abort();
    await loop;
    return code;
  } catch (error) {
    if (error instanceof EnrollError) throw new Error(error.message, { cause: error });
    throw error;
  }
}
