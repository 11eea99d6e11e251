// `up`'s end of the watchdog's pipe (see watchdog.ts): started before any part, fed from the
// registry of detached children, told "done" once `up` has stopped everything itself.
import { spawn } from "node:child_process";
import type { Socket } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { watchDetached } from "../servers/detached-children.js";
import type { WatchdogMessage } from "./watchdog.js";

const HERE = dirname(fileURLToPath(import.meta.url));
// Under the test runner this module is TypeScript; the watchdog always runs from the build. In
// the build this file is dist/local/ or a chunk in dist/bundle/ (scripts/bundle.mjs), both one
// level below dist/.
const WATCHDOG = import.meta.url.endsWith(".ts") ? resolve(HERE, "..", "..", "dist", "local", "watchdog.js") : join(HERE, "..", "local", "watchdog.js");

export interface WatchdogLink {
  pid: number;
  /** `up` stopped its stack: the watchdog exits without touching anything. */
  release(): void;
}

export function startWatchdog(stateDir: string, secretsDir: string): WatchdogLink {
  const child = spawn(process.execPath, [WATCHDOG, "--state-dir", stateDir, "--secrets-dir", secretsDir, "--up-pid", String(process.pid)], {
    // Its own session: a Ctrl-C meant for `up` must not take the watchdog down with it.
    detached: true,
    // Its working folder must not keep a mount busy that it is to unmount.
    cwd: "/",
    stdio: ["pipe", "ignore", "ignore"],
    // Nothing of ours: the environment may carry what the watchdog has no use for.
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
  });
  const pipe = child.stdin!;
  pipe.on("error", () => {});
  const send = (message: WatchdogMessage) => void pipe.write(JSON.stringify(message) + "\n");
  const unwatch = watchDetached({ started: (part) => send({ started: part }), ended: (part) => send({ ended: part.pid }) });
  // Neither the watchdog nor its pipe may keep `up` alive.
  child.unref();
  (pipe as Socket).unref();
  return {
    pid: child.pid ?? -1,
    release: () => {
      unwatch();
      send({ done: true });
      pipe.end();
    },
  };
}
