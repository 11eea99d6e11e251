// Writes the agent's state file (agent-state-file.ts) a moment after each change — 500 leaves
// renewed in one second make one write, not 500 — and on a heartbeat, so `status` can tell a
// quiet agent from a dead one. One write at a time; a change during a write makes one more.
import type { AgentState } from "./agent-state.js";
import { AGENT_STATE_HEARTBEAT_MS, agentStateSnapshot, writeAgentStateFile } from "./agent-state-file.js";
import type { Clock } from "./keyed-timers.js";

export const AGENT_STATE_DEBOUNCE_MS = 500;

export interface AgentStateWriterOptions {
  secretsDir: string;
  state: AgentState;
  clock: Clock;
  log: (line: string) => void;
  /** Default writeAgentStateFile. */
  write?: typeof writeAgentStateFile;
}

export interface AgentStateWriter {
  /** Writes once now, then after each change and every heartbeat. */
  start(): void;
  /** Cancels the timers and writes a last time, marked stopped. */
  stop(): Promise<void>;
}

export function agentStateWriter(options: AgentStateWriterOptions): AgentStateWriter {
  const { secretsDir, state, clock, log } = options;
  const write = options.write ?? writeAgentStateFile;
  const startedAt = clock.now();
  let debounce: unknown;
  let heartbeat: unknown;
  let writing: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let complained = false;

  const writeNow = (last = false): Promise<void> => {
    if (writing) {
      again = true;
      return writing;
    }
    writing = (async () => {
      do {
        again = false;
        try {
          await write(secretsDir, agentStateSnapshot(state, { now: clock.now(), startedAt, stopped: last }));
          complained = false;
        } catch (error) {
          // Once per run of failures: a full volume should not fill the log too.
          if (!complained) log(`cannot write the state file for \`bootgate status\`: ${(error as Error).message}`);
          complained = true;
        }
      } while (again && !stopped);
      // Cleared here, in the same turn as the last look at `again`, so no change falls between.
      writing = undefined;
    })();
    return writing;
  };
  const beat = () => {
    heartbeat = clock.setTimeout(() => {
      void writeNow();
      beat();
    }, AGENT_STATE_HEARTBEAT_MS);
  };

  return {
    start() {
      state.onChanged = () => {
        if (stopped || debounce !== undefined) return;
        debounce = clock.setTimeout(() => {
          debounce = undefined;
          void writeNow();
        }, AGENT_STATE_DEBOUNCE_MS);
      };
      void writeNow();
      beat();
    },
    async stop() {
      stopped = true;
      state.onChanged = undefined;
      if (debounce !== undefined) clock.clearTimeout(debounce);
      if (heartbeat !== undefined) clock.clearTimeout(heartbeat);
      await writing;
      await writeNow(true);
    },
  };
}
