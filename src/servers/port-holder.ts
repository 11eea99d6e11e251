// Who listens on a TCP port, read from /proc: the socket's inode from /proc/net/tcp{,6}, then
// the processes holding that inode among their file descriptors.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { livePids } from "./proc-identity.js";

const LISTEN = "0A";

/** Inodes of the sockets listening on `port`, on any local address, IPv4 or IPv6. */
export function listeningInodes(port: number, tables: readonly string[] = [readTable("tcp"), readTable("tcp6")]): string[] {
  const inodes: string[] = [];
  for (const table of tables) {
    for (const line of table.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      const local = f[1];
      if (!local || f[3] !== LISTEN) continue;
      if (parseInt(local.slice(local.lastIndexOf(":") + 1), 16) === port && f[9]) inodes.push(f[9]);
    }
  }
  return inodes;
}

function readTable(name: string): string {
  try {
    return readFileSync(`/proc/net/${name}`, "utf8");
  } catch {
    return "";
  }
}

/** Pids holding any of the sockets; a holder we may not look into (another user, when not root) is missing. */
export function socketHolders(inodes: readonly string[]): number[] {
  if (inodes.length === 0) return [];
  const wanted = new Set(inodes.map((i) => `socket:[${i}]`));
  const holders: number[] = [];
  for (const pid of livePids()) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (wanted.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) {
          holders.push(pid);
          break;
        }
      } catch {
        // Closed meanwhile.
      }
    }
  }
  return holders;
}
