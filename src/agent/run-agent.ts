// `bootgate agent`: the long-running half. It logs in with bootgate's own identity (the IKM's
// Ed25519 key; the IKM itself is zeroed once the key is derived), then keeps every token (and,
// with an issuer, every leaf) on timers until its signal aborts: nothing polls.
import type { Config } from "../config/normalize.js";
import { deriveIdentityKey } from "../vault/derived-keys.js";
import { loadIkm } from "../vault/ikm.js";
import { AgentState } from "./agent-state.js";
import { type Clock, KeyedTimers, systemClock } from "./keyed-timers.js";
import { tokenKeeper } from "./token-keeper.js";
import { vaultSession } from "./vault-session.js";

export interface AgentOptions {
  signal: AbortSignal;
  log?: (line: string) => void;
  clock?: Clock;
}

export interface RunningAgent {
  state: AgentState;
  /** Resolves once the agent stopped (its signal aborted) and its login is revoked. */
  stopped: Promise<void>;
}

export async function startAgent(config: Config, options: AgentOptions): Promise<RunningAgent> {
  const log = options.log ?? ((line: string) => process.stderr.write(`bootgate agent: ${line}\n`));
  const clock = options.clock ?? systemClock;
  const ikm = await loadIkm(config);
  let key;
  try {
    key = deriveIdentityKey(ikm);
  } finally {
    ikm.fill(0);
  }
  const state = new AgentState();
  const timers = new KeyedTimers(clock);
  const session = vaultSession(config, key, clock);
  const tokens = tokenKeeper({ config, session, state, timers, clock, log });
  tokens.start();
  log(`keeping ${state.items.size} tokens for Vault at ${config.vault.address}`);

  const stopped = new Promise<void>((resolve) => {
    const stop = async () => {
      timers.cancelAll();
      await tokens.idle();
      // A pass still running may have scheduled its next one.
      timers.cancelAll();
      await session.close();
      log("stopped");
      resolve();
    };
    if (options.signal.aborted) void stop();
    else options.signal.addEventListener("abort", () => void stop(), { once: true });
  });
  return { state, stopped };
}
