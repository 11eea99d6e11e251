// A part of `bootgate up --local` that holds a leaf (OpenBao, PostgreSQL, nginx, the example
// services) takes the agent's renewal the way a container started by `bootgate wait
// --reload-signal SIGHUP --service NAME` does: its own folder is watched
// (src/gates/watch-service-folder.ts) and each change set sends it the signal. No Docker socket.
import { watchServiceFolder } from "../gates/watch-service-folder.js";

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
