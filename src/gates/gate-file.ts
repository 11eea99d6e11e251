// A gate is `<secretsDir>/.gates/<name>`: one line of JSON naming the gate, the time and the
// boot id. `.gates/boot` names the current boot; a gate counts only when its boot id matches
// it and it was written under the same kernel boot (so a persistent, non-tmpfs volume that
// survived a host reboot cannot release anyone on stale files).
import { readFileSync } from "node:fs";
import { mkdir, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { BOOT_FILE, bootPath, gatePath, gatesDir, WAITER_SCRIPT } from "../volume/layout.js";

// The writers' modules (node:crypto among them, ~2 MB of a waiter's RSS) load on first write:
// `bootgate wait` imports this file for the readers only.
const atomicWrite = async () => (await import("../fs/atomic-write.js")).writeFileAtomic;

const RESERVED = new Set([BOOT_FILE, WAITER_SCRIPT]);

export interface GateRecord {
  gate: string;
  time: string;
  bootId: string;
  kernelBootId?: string;
  stage?: string;
}

export interface BootRecord {
  bootId: string;
  time: string;
  kernelBootId?: string;
}

const GATE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
export function isGateName(name: string): boolean {
  return GATE_NAME.test(name) && !RESERVED.has(name);
}

let kernelBootIdCache: string | undefined | null = null;
export function kernelBootId(): string | undefined {
  if (kernelBootIdCache === null) {
    try {
      kernelBootIdCache = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() || undefined;
    } catch {
      kernelBootIdCache = undefined;
    }
  }
  return kernelBootIdCache;
}

/**
 * Starts a boot: writes the new boot id first, then removes every gate of earlier boots. A
 * waiter that reads between the two sees the new boot id and an old gate, and refuses it.
 */
export async function beginBoot(secretsDir: string): Promise<BootRecord> {
  const dir = gatesDir(secretsDir);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const [writeFileAtomic, { randomUUID }] = await Promise.all([atomicWrite(), import("node:crypto")]);
  const record: BootRecord = { bootId: randomUUID(), time: new Date().toISOString(), kernelBootId: kernelBootId() };
  await writeFileAtomic(bootPath(secretsDir), JSON.stringify(record) + "\n", { mode: 0o644 });
  const entries = await readdir(dir);
  await Promise.all(entries.filter((e) => !RESERVED.has(e)).map((e) => rm(join(dir, e), { force: true, recursive: true })));
  return record;
}

export async function readBoot(secretsDir: string): Promise<BootRecord | undefined> {
  return readJson<BootRecord>(bootPath(secretsDir));
}

export async function openGate(secretsDir: string, gate: string, bootId: string, stage?: string): Promise<GateRecord> {
  const record: GateRecord = { gate, time: new Date().toISOString(), bootId, kernelBootId: kernelBootId(), ...(stage ? { stage } : {}) };
  await mkdir(gatesDir(secretsDir), { recursive: true, mode: 0o755 });
  // One line, `"bootId":"…"` without spaces: the POSIX sh waiter matches it with grep.
  await (
    await atomicWrite()
  )(gatePath(secretsDir, gate), JSON.stringify(record) + "\n", { mode: 0o644 });
  return record;
}

export async function readGate(secretsDir: string, gate: string): Promise<GateRecord | undefined> {
  return readJson<GateRecord>(gatePath(secretsDir, gate));
}

/** True when the gate exists and belongs to the current boot. */
export function gateIsCurrent(gate: GateRecord | undefined, boot: BootRecord | undefined): boolean {
  if (!gate || !boot) return false;
  if (gate.bootId !== boot.bootId) return false;
  const kernel = kernelBootId();
  if (kernel && gate.kernelBootId && gate.kernelBootId !== kernel) return false;
  return true;
}

export async function listGates(secretsDir: string): Promise<GateRecord[]> {
  let entries: string[];
  try {
    entries = await readdir(gatesDir(secretsDir));
  } catch {
    return [];
  }
  const records = await Promise.all(entries.filter(isGateName).map((e) => readGate(secretsDir, e)));
  return records.filter((r): r is GateRecord => r !== undefined).sort((a, b) => a.time.localeCompare(b.time));
}

/**
 * The waiter's hot path: a few hundred bytes, read synchronously. A waiting process has nothing
 * else to do, and skipping the thread pool's round trips is what makes a wake-up cheap when a
 * hundred waiters wake at once on two cores.
 */
export function readBootSync(secretsDir: string): BootRecord | undefined {
  return readJsonSync<BootRecord>(bootPath(secretsDir));
}

export function readGateSync(secretsDir: string, gate: string): GateRecord | undefined {
  return readJsonSync<GateRecord>(gatePath(secretsDir, gate));
}

function readJsonSync<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as T;
  } catch {
    return undefined;
  }
}

async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, "utf8")) as T;
  } catch {
    // Missing or (never, given atomic writes) unreadable: either way not a gate yet.
    return undefined;
  }
}
