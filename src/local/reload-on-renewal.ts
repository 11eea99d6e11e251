// A part of `bootgate up --local` that holds a leaf (OpenBao, PostgreSQL, nginx, the example
// services) takes the agent's renewal the way a container started by `bootgate wait
// --reload-signal SIGHUP --service NAME` does: its own folder is watched
// (src/gates/watch-service-folder.ts) and each change set sends it the signal. No Docker socket.
import { watchServiceFolder } from "../gates/watch-service-folder.js";
import { watchDetached } from "../servers/detached-children.js";

export interface ReloadTarget {
  /** Who is signalled, for the log line. */
  name: string;
  /** Its folder on the secrets volume. */
  dir: string;
  /** Sends the reload (SIGHUP to the server's pid). */
  reload(): void;
}

export interface ReloadWatch {
  ready: Promise<void>;
  stop(): Promise<void>;
}

export function reloadOnRenewal(target: ReloadTarget, log: (line: string) => void): ReloadWatch {
  const watch = watchServiceFolder({
    dir: target.dir,
    onChange: (changed) => {
      try {
        target.reload();
        log(`${target.name}: ${changed.join(", ")} changed; sent its reload`);
      } catch (error) {
        // A part that is gone is the supervisor's business, not the watch's.
        log(`${target.name}: ${changed.join(", ")} changed but the reload failed: ${(error as Error).message}`);
      }
    },
    onError: (error) => log(`${target.name}: watching ${target.dir}: ${(error as Error).message}`),
  });
  return { ready: watch.ready, stop: () => watch.close() };
}

/** SIGHUP to one pid: what OpenBao (listener certificates), PostgreSQL (ssl files) and the example services reload on. */
export const sighup = (pid: number) => () => void process.kill(pid, "SIGHUP");

/**
 * The watch of one part of `up --local`, for as long as that part runs: it ends when the part's
 * process does (the registry of detached parts says so), so a stack being stopped signals nothing.
 */
export function reloadWhileRunning(name: string, dir: string, pid: number, log: (line: string) => void): ReloadWatch {
  const watch = reloadOnRenewal({ name, dir, reload: sighup(pid) }, log);
  const unwatch = watchDetached({
    started: () => {},
    ended: (part) => {
      if (part.pid !== pid) return;
      unwatch();
      void watch.stop().catch(() => {});
    },
  });
  return {
    ready: watch.ready,
    stop: async () => {
      unwatch();
      await watch.stop();
    },
  };
}
