// What /proc says about a process: enough to tell, later and from another process, that a pid
// still names the very process we started (pid numbers are reused; a pid with the same start
// time in the same kernel boot is not), and to find its group's members and its command line.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export interface ProcessIdentity {
  pid: number;
  /** Clock ticks since the kernel booted (field 22 of /proc/<pid>/stat): fixed for a process's life. */
  startTime: number;
}

interface Stat {
  state: string;
  pgrp: number;
  startTime: number;
}

function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const startTime = Number(fields[19]);
  if (!Number.isFinite(startTime)) return undefined;
  return { state: fields[0] ?? "?", pgrp: Number(fields[2]), startTime };
}

/** The identity of a live process, or undefined where there is no /proc or no such process. */
export function identityOf(pid: number): ProcessIdentity | undefined {
  const stat = readStat(pid);
  return stat && stat.state !== "Z" ? { pid, startTime: stat.startTime } : undefined;
}

/** Whether the process is still the one recorded (a zombie has finished: it counts as gone). */
export function isSameProcess(identity: ProcessIdentity): boolean {
  const now = identityOf(identity.pid);
  return now !== undefined && now.startTime === identity.startTime;
}

/** Live processes of a process group; while one lives, the group's number cannot be reused. */
export function groupMembers(pgid: number): number[] {
  return livePids().filter((pid) => {
    const stat = readStat(pid);
    return stat !== undefined && stat.state !== "Z" && stat.pgrp === pgid;
  });
}

export function livePids(): number[] {
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return [];
  }
  return names.filter((n) => /^\d+$/.test(n)).map(Number);
}

/** argv of a process, or [] when it is gone or not ours to read. */
export function commandLineOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8")
      .split("\0")
      .filter((a) => a !== "");
  } catch {
    return [];
  }
}

/** The paths a process holds open (sockets, pipes and the like left out). */
export function openFilesOf(pid: number): string[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const paths: string[] = [];
  for (const fd of fds) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (target.startsWith("/")) paths.push(target.replace(/ \(deleted\)$/, ""));
    } catch {
      // Closed meanwhile.
    }
  }
  return paths;
}

/** One environment variable of a process (never logged: only compared). */
export function environmentValueOf(pid: number, name: string): string | undefined {
  try {
    const entry = readFileSync(`/proc/${pid}/environ`, "utf8")
      .split("\0")
      .find((e) => e.startsWith(name + "="));
    return entry?.slice(name.length + 1);
  } catch {
    return undefined;
  }
}

/** The kernel's id for this boot: start times only compare within one. */
export function kernelBootId(): string {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
  } catch {
    return "unknown";
  }
}
