// The parts of `up --local` that wait for a later gate (nginx at gateway-ready, the example
// services at vault-ready + db-ready) start as those gates open, each on its own, while the rest
// of the boot goes on — as their containers would. A boot that fails releases their waits, so
// none is left waiting for a gate that never opens.
export type GateWait = (gates: string[], signal: AbortSignal) => Promise<unknown>;

export interface LatePart {
  gates: string[];
  start(): Promise<void>;
}

export interface LateParts {
  /** Settles when every part has started, or was released; rejects with the first part that failed to start. */
  started: Promise<void>;
  /** The boot is over without them: waits still pending resolve without starting anything. */
  release(): void;
}

/**
 * `signal`: the boot's own; when it is aborted, what stopped it is told by the boot, not by the
 * waits it cut short. `onFailure`: at once, when a part fails to start (the caller stops the boot,
 * which releases the other waits; `started` rejects only once every part has settled).
 */
export function startLateParts(parts: readonly LatePart[], wait: GateWait, signal: AbortSignal, onFailure: (error: unknown) => void): LateParts {
  const released = new AbortController();
  const waitSignal = AbortSignal.any([signal, released.signal]);
  const one = async (part: LatePart) => {
    try {
      await wait(part.gates, waitSignal);
    } catch (error) {
      if (waitSignal.aborted) return;
      throw error;
    }
    if (released.signal.aborted) return;
    await part.start();
  };
  const all = parts.map((part) =>
    one(part).catch((error: unknown) => {
      onFailure(error);
      throw error;
    }),
  );
  // Every part runs to its end, so none is still starting when the caller stops the stack.
  const started = Promise.allSettled(all).then((results) => {
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  });
  return { started, release: () => released.abort() };
}
