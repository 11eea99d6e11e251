// `bootgate enroll --renew`: keep the leaf fresh the way the agent keeps the stack's (the same
// renewal point, src/agent/renewal-schedule.ts), through `POST /ca/sign` with the current leaf as
// the proof of identity (mutual TLS). A failed renewal is retried with the agent's backoff while
// the current leaf is still valid; `onRenewed` signals the command (bootgate wait --reload-signal's way).
import { leafRenewalAt, retryDelayMs } from "../agent/renewal-schedule.js";
import { sleep } from "../util/sleep.js";
import { type CaParameters, enrollOnce, type EnrolledLeaf, type EnrollTarget, fetchParameters, type TrustedCa } from "./enroll-client.js";

export interface RenewLoopOptions {
  target: EnrollTarget;
  ca: TrustedCa;
  params: CaParameters;
  service: string;
  names: string[];
  outDir: string;
  readIdentity: () => Promise<{ certPem: string; keyPem: string }>;
  onRenewed: (leaf: EnrolledLeaf) => void;
  log: (line: string) => void;
  signal: AbortSignal;
}

export async function renewLoop(first: EnrolledLeaf, options: RenewLoopOptions): Promise<void> {
  let leaf = first;
  let params = options.params;
  let attempt = 0;
  while (!options.signal.aborted) {
    const at = attempt === 0 ? leafRenewalAt(leaf, params.renewBeforeMs, Date.now()) : Date.now() + retryDelayMs(attempt);
    // In steps of at most a day: a timer longer than ~24.8 days fires at once.
    while (!options.signal.aborted && Date.now() < at) await sleep(Math.min(at - Date.now(), 86_400_000), options.signal).catch(() => undefined);
    if (options.signal.aborted) return;
    try {
      params = await fetchParameters(options.target, options.ca);
      leaf = await enrollOnce(options.target, options.ca, params, {
        service: options.service,
        names: options.names,
        outDir: options.outDir,
        credential: { identity: await options.readIdentity() },
      });
      attempt = 0;
      options.log(`renewed ${options.service}: serial ${leaf.serial}, valid until ${leaf.notAfter.toISOString()}`);
      options.onRenewed(leaf);
    } catch (error) {
      attempt++;
      const left = leaf.notAfter.getTime() - Date.now();
      options.log(
        `renewal of ${options.service} failed (try ${attempt}; the current leaf is valid ${left > 0 ? `for ${Math.round(left / 1000)}s more` : "no more"}): ${(error as Error).message}`,
      );
    }
  }
}
