// What a crashed `up --local` can leave, cleared by the next one before it starts anything:
// the parts its record lists, a tmpfs still mounted, a stale postmaster.pid, a port still bound.
// Only what is provably this stack's is stopped (recorded by pid and start time, or a command
// line that names this stack's state or secrets folder); anything else is named, never killed.
import { becomesTrue } from "../util/poll.js";
import { readFileSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { commandLineOf, environmentValueOf, identityOf, isSameProcess, kernelBootId, openFilesOf } from "../servers/proc-identity.js";
import { listeningInodes, socketHolders } from "../servers/port-holder.js";
import { type RecordedPart, stopRecordedPart } from "../servers/stop-recorded.js";
import { readRecord, removeRecord } from "./process-record.js";
import { unmountIfMounted } from "./unmount.js";

export interface StackPort {
  port: number;
  /** Whose port it is and where it is set, for the message. */
  what: string;
  /** The environment variable that moves it. */
  moveWith: string;
}

export interface LeftoverScope {
  stateDir: string;
  secretsDir: string;
  postgresDataDir: string;
  ports: StackPort[];
}

const WATCHDOG_WAIT_MS = 30_000;
const POSTGRES_GRACE_MS = 15_000;

export async function clearLeftovers(scope: LeftoverScope, say: (line: string) => void): Promise<void> {
  await clearRecorded(scope, say);
  await clearPostmasterPid(scope, say);
  await clearPorts(scope, say);
}

async function clearRecorded(scope: LeftoverScope, say: (line: string) => void): Promise<void> {
  const record = readRecord(scope.stateDir);
  if (!record) return;
  const sameBoot = record.kernelBootId === kernelBootId();
  if (sameBoot && isSameProcess(record.up)) {
    throw new Error(
      `another bootgate up (pid ${record.up.pid}) is running on the state folder ${scope.stateDir}: stop it first (Ctrl-C in its terminal, or kill -INT ${record.up.pid})`,
    );
  }
  // Its watchdog may be stopping the same parts right now; it unmounts last, so wait for it to finish.
  if (sameBoot && record.watchdog) await waitUntilGone(record.watchdog, WATCHDOG_WAIT_MS);
  const stopped: string[] = [];
  for (const part of sameBoot ? [...record.parts].reverse() : []) {
    if (await stopRecordedPart(part)) stopped.push(`${part.name} (pid ${part.pid})`);
  }
  const unmounted = await unmountIfMounted(scope.secretsDir);
  removeRecord(scope.stateDir);
  const what = [stopped.length ? `stopped ${stopped.join(", ")}` : "", unmounted ? `unmounted the tmpfs on ${scope.secretsDir}` : ""].filter(Boolean);
  if (what.length) say(`an earlier bootgate up (pid ${record.up.pid}) ended without stopping its stack: ${what.join("; ")}`);
}

async function waitUntilGone(identity: { pid: number; startTime: number }, ms: number): Promise<void> {
  await becomesTrue(() => !isSameProcess(identity), { timeoutMs: ms, intervalMs: 50 });
}

/**
 * Whether a process provably belongs to this stack: its command line names the stack's state or
 * secrets folder, its environment points at that secrets folder (the example services), or it
 * holds a file open in them (an nginx worker, whose title names nothing, keeps its log open).
 */
export function isOfThisStack(pid: number, scope: Pick<LeftoverScope, "stateDir" | "secretsDir">): boolean {
  const dirs = [scope.stateDir, scope.secretsDir];
  const inside = (path: string) => dirs.some((d) => path === d || path.startsWith(d + "/"));
  // nginx rewrites its argv into one title string: split it back into words.
  const words = commandLineOf(pid).flatMap((arg) => arg.split(" "));
  const names = (word: string) => inside(word) || dirs.some((d) => word.includes("=" + d + "/") || word.endsWith("=" + d));
  return words.some(names) || environmentValueOf(pid, "BOOTGATE_SECRETS_DIR") === scope.secretsDir || openFilesOf(pid).some(inside);
}

function describe(pid: number): string {
  const argv = commandLineOf(pid);
  return argv.length ? `pid ${pid} \`${argv.join(" ").slice(0, 160)}\`` : `pid ${pid}`;
}

/** The polite stop of each server, as its launcher asks it. */
function stopSignalOf(pid: number): NodeJS.Signals {
  const first = commandLineOf(pid)[0] ?? "";
  if (basename(first.split(" ")[0] ?? "") === "postgres" || first.startsWith("postgres:")) return "SIGINT";
  if (first.startsWith("nginx:") || basename(first) === "nginx") return "SIGQUIT";
  return "SIGTERM";
}

async function stopFound(pid: number, name: string, graceMs = 10_000): Promise<void> {
  const identity = identityOf(pid);
  if (!identity) return;
  const part: RecordedPart = { ...identity, name, stopSignal: stopSignalOf(pid), graceMs };
  // Not started by us as a group leader: only the process itself is provably ours.
  await stopRecordedPart(part, { alone: true });
}

function isPostmasterOf(pid: number, dataDir: string): boolean {
  const argv = commandLineOf(pid);
  const d = argv.indexOf("-D");
  return basename(argv[0] ?? "") === "postgres" && d >= 0 && argv[d + 1] === dataDir;
}

/** Processes attached to a System V shared memory segment (PostgreSQL's interlock), by its id. */
function shmAttachments(shmid: string | undefined): number {
  if (!shmid) return 0;
  let table = "";
  try {
    table = readFileSync("/proc/sysvipc/shm", "utf8");
  } catch {
    return 0;
  }
  const row = table
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .find((f) => f[1] === shmid);
  return row ? Number(row[6] ?? 0) : 0;
}

/**
 * PostgreSQL refuses to start while postmaster.pid names a live process, even one that merely
 * got the old postmaster's number. A postmaster of this cluster still running is stopped; a
 * file whose pid is gone or a stranger is removed — unless its shared memory segment is still
 * attached, PostgreSQL's own sign that a server (in another PID namespace, say) still uses it.
 */
/** How long the backends of a dead postmaster may take to notice and exit. */
const ORPHANED_BACKENDS_MS = 10_000;

async function clearPostmasterPid(scope: LeftoverScope, say: (line: string) => void): Promise<void> {
  const file = join(scope.postgresDataDir, "postmaster.pid");
  const read = () => {
    try {
      return readFileSync(file, "utf8").split("\n");
    } catch {
      return undefined;
    }
  };
  let lines = read();
  if (!lines) return;
  const pid = Number(lines[0]);
  if (Number.isInteger(pid) && pid > 0 && identityOf(pid) && isPostmasterOf(pid, scope.postgresDataDir)) {
    await stopFound(pid, "postgres", POSTGRES_GRACE_MS);
    say(`PostgreSQL (pid ${pid}) was still running on ${scope.postgresDataDir}, not stopped by an earlier up: stopped it`);
    lines = read();
    if (!lines) return;
  }
  const shmid = lines[6]?.trim().split(/\s+/)[1];
  // The backends of a postmaster killed with -9 outlive it for a moment (each is its own process
  // group leader, so the kill did not reach them) and leave once they notice it died: wait for
  // them, bounded, before taking the segment for a server this process cannot see.
  await becomesTrue(() => shmAttachments(shmid) === 0, { timeoutMs: ORPHANED_BACKENDS_MS, intervalMs: 100 });
  const attached = shmAttachments(shmid);
  if (attached > 0) {
    throw new Error(
      `${file} names pid ${pid}, which is no PostgreSQL on this cluster, but its shared memory segment (id ${shmid}) is still attached by ${attached} process(es): ` +
        `a PostgreSQL this process cannot see (another PID namespace?) may still use ${scope.postgresDataDir}; stop it, then run up again`,
    );
  }
  rmSync(file, { force: true });
  say(`removed a stale ${file} (its pid ${pid} ${identityOf(pid) ? `is now ${describe(pid)}` : "is gone"})`);
}

async function clearPorts(scope: LeftoverScope, say: (line: string) => void): Promise<void> {
  const strangers: string[] = [];
  for (const { port, what, moveWith } of scope.ports) {
    // Stopping a leader takes its workers (nginx's share the socket): look again after each round.
    for (let round = 0; round < 3; round++) {
      const inodes = listeningInodes(port);
      if (inodes.length === 0) break;
      const holders = socketHolders(inodes).filter((pid) => identityOf(pid) !== undefined);
      if (holders.length === 0) {
        if (round > 0) continue;
        strangers.push(
          `port ${port} (${what}) is bound by a process this user cannot see (another user's, or another PID namespace's): free it, or move the port with ${moveWith}`,
        );
        break;
      }
      const ours = holders.filter((pid) => isOfThisStack(pid, scope));
      if (ours.length === 0) {
        for (const pid of holders)
          strangers.push(`port ${port} (${what}) is held by ${describe(pid)}, which is not part of this stack: stop it, or move the port with ${moveWith}`);
        break;
      }
      for (const pid of ours) {
        const description = describe(pid);
        await stopFound(pid, what);
        say(`port ${port} (${what}) was held by ${description}, left by an earlier up of this stack: stopped it`);
      }
    }
  }
  if (strangers.length) throw new Error(strangers.join("\n"));
}
