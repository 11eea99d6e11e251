// A real rsyslogd (with its gtls driver, Debian's rsyslog-gnutls) as the log shipper or the log
// collector of examples/checklist/rsyslog/, run in the foreground in a folder of its own, its
// messages about TLS peers captured for the tests.
import { type ChildProcess, spawn } from "node:child_process";
import { access, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { REPO_ROOT } from "./pki.js";

const RSYSLOGD = ["/usr/sbin/rsyslogd", "/sbin/rsyslogd"];
const CONFIGS = join(REPO_ROOT, "examples", "checklist", "rsyslog");

export interface Rsyslog {
  /** What rsyslogd printed (its own errors: refused peers, TLS failures). */
  output(): string;
  stop(): Promise<void>;
}

async function rsyslogd(): Promise<string> {
  for (const bin of RSYSLOGD) {
    try {
      await access(bin);
      await access("/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so").catch(async () => access("/usr/lib/rsyslog/lmnsd_gtls.so"));
      return bin;
    } catch {
      /* try the next */
    }
  }
  throw new Error("rsyslogd with its TLS driver is missing: run `bash scripts/install-system-deps.sh` (Debian: apt-get install rsyslog rsyslog-gnutls)");
}

async function start(name: "collector" | "shipper", workDir: string, env: Record<string, string>): Promise<Rsyslog> {
  const bin = await rsyslogd();
  await mkdir(workDir, { recursive: true });
  const conf = join(CONFIGS, `${name}.conf`);
  // -n: foreground, -i: its own pid file, -f: only this config (no system inputs are loaded).
  const child: ChildProcess = spawn(bin, ["-n", "-f", conf, "-i", join(workDir, "rsyslogd.pid")], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LOG_WORK_DIR: workDir, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  // A config error makes rsyslogd exit at once: say so instead of waiting for lines that never come.
  const early = await Promise.race([exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 300))]);
  if (early) throw new Error(`rsyslogd (${name}) exited at start: ${out.trim()}`);
  return {
    output: () => out,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      await exited;
    },
  };
}

export interface CollectorOptions {
  /** The folder its certificate, key and CA come from: `<secretsDir>/<service>`. */
  serviceDir: string;
  workDir: string;
  port: number;
  /** The service name a shipper's certificate must carry. */
  permittedPeer: string;
  output: string;
}

export function startCollector(o: CollectorOptions): Promise<Rsyslog> {
  return start("collector", o.workDir, {
    BOOTGATE_SERVICE_DIR: o.serviceDir,
    LOG_LISTEN_ADDRESS: "127.0.0.1",
    LOG_LISTEN_PORT: String(o.port),
    LOG_PERMITTED_PEER: o.permittedPeer,
    LOG_OUTPUT: o.output,
  });
}

export interface ShipperOptions {
  serviceDir: string;
  workDir: string;
  /** The file it tails. */
  input: string;
  collectorPort: number;
  /** The name the collector's certificate must carry. */
  collectorName: string;
}

export function startShipper(o: ShipperOptions): Promise<Rsyslog> {
  return start("shipper", o.workDir, {
    BOOTGATE_SERVICE_DIR: o.serviceDir,
    LOG_INPUT: o.input,
    LOG_COLLECTOR_ADDRESS: "127.0.0.1",
    LOG_COLLECTOR_PORT: String(o.collectorPort),
    LOG_COLLECTOR_NAME: o.collectorName,
  });
}

/** The collector's output file, empty while it has received nothing. */
export async function received(file: string): Promise<string> {
  return readFile(file, "utf8").catch(() => "");
}
