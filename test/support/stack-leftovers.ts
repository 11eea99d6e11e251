// What a stopped `up --local` may have left in a test's folder, looked for two ways: the
// processes its record listed (by pid and start time), and a scan of /proc for anything whose
// command line, environment, working folder or open files point into the folder.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { identityOf, isSameProcess, type ProcessIdentity } from "../../src/servers/proc-identity.js";
import { readRecord } from "../../src/local/process-record.js";

/** The record's parts and watchdog as they are now; [] when `up` has not written one (yet). */
export function recordedProcesses(stateDir: string): (ProcessIdentity & { name: string })[] {
  const record = readRecord(stateDir);
  if (!record) return [];
  return [...record.parts, ...(record.watchdog ? [{ ...record.watchdog, name: "watchdog" }] : [])];
}

const readOr = (read: () => string, fallback = "") => {
  try {
    return read();
  } catch {
    return fallback;
  }
};

/** Live processes (zombies are finished) that point into `dir` in any way. */
export function processesIn(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    const pid = Number(name);
    if (pid === process.pid || !identityOf(pid)) continue;
    const cmdline = readOr(() => readFileSync(`/proc/${pid}/cmdline`, "utf8"));
    const environ = readOr(() => readFileSync(`/proc/${pid}/environ`, "utf8"));
    const cwd = readOr(() => readlinkSync(`/proc/${pid}/cwd`));
    const files = readOr(() =>
      readdirSync(`/proc/${pid}/fd`)
        .map((fd) => readOr(() => readlinkSync(join(`/proc/${pid}/fd`, fd))))
        .join("\n"),
    );
    if ([cmdline, environ, files].some((t) => t.includes(dir)) || cwd === dir || cwd.startsWith(dir + "/")) {
      found.push(`${pid}: ${cmdline.replace(/\0/g, " ").slice(0, 160)}`);
    }
  }
  return found;
}

export const stillRunning = (recorded: (ProcessIdentity & { name: string })[]) => recorded.filter(isSameProcess).map((p) => `${p.name} (pid ${p.pid})`);

export const isMounted = (path: string) =>
  readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .some((l) => l.split(" ")[4] === path);

/** Polls until nothing is left or the time is up; returns what is left. */
export async function leftAfter(dir: string, recorded: (ProcessIdentity & { name: string })[], secretsDir: string, ms: number): Promise<string[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = [
      ...stillRunning(recorded).map((p) => `recorded ${p}`),
      ...processesIn(dir),
      ...(isMounted(secretsDir) ? [`tmpfs still mounted on ${secretsDir}`] : []),
    ];
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}
