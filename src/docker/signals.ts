// Which signals a `reload` may name. Docker forwards any signal to the container's PID 1, but a
// reload that kills or freezes the service is a config mistake, so those are refused here.
import { constants } from "node:os";

const NOT_A_RELOAD = new Set(["SIGKILL", "SIGSTOP"]);

export const RELOAD_SIGNALS: readonly string[] = Object.keys(constants.signals)
  .filter((name) => !NOT_A_RELOAD.has(name))
  .sort();

export function isReloadSignal(name: string): boolean {
  return RELOAD_SIGNALS.includes(name);
}
