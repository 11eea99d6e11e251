// The agent's raft snapshots: one every `vault.snapshots.every` into `vault.snapshots.dir`, the
// newest `keep` kept — the same encrypted file `bootgate snapshot save` writes
// (src/vault/cluster/snapshot.ts), from the cluster's active node. On a timer, not a poll; a failed one is logged and counted, and
// the next is due `every` later as usual (a Vault that is down now may be up by then). Its gauges
// live in a registry of their own, merged into the agent's /metrics.
import { Counter, Gauge, Registry } from "prom-client";
import type { Config } from "../config/normalize.js";
import { saveVaultSnapshot, type SavedSnapshot } from "../vault/cluster/snapshot.js";
import type { Clock, KeyedTimers } from "./keyed-timers.js";

const TIMER_KEY = "vault-snapshot";

export interface SnapshotScheduleOptions {
  config: Config;
  timers: KeyedTimers;
  clock: Clock;
  log: (line: string) => void;
  /** Takes one snapshot (default: saveVaultSnapshot into vault.snapshots.dir). */
  save?: (config: Config, now: Date) => Promise<Pick<SavedSnapshot, "file" | "bytes" | "pruned"> & { node?: string }>;
}

export interface SnapshotSchedule {
  registry: Registry;
  /** Schedules the first one, `every` from now; nothing when `every` is not set. */
  start(): void;
  /** Settles once a snapshot under way has finished. */
  idle(): Promise<void>;
  readonly lastSuccessAt: number | undefined;
  readonly lastBytes: number | undefined;
  readonly failures: number;
}

export function snapshotSchedule(options: SnapshotScheduleOptions): SnapshotSchedule {
  const { config, timers, clock, log } = options;
  const save = options.save ?? ((c: Config, now: Date) => saveVaultSnapshot(c, { now }));
  const every = config.vault.snapshots.everyMs;
  let lastSuccessAt: number | undefined;
  let lastBytes: number | undefined;
  let failures = 0;
  let running: Promise<void> = Promise.resolve();

  const registry = new Registry();
  new Gauge({
    name: "bootgate_snapshot_last_success_timestamp_seconds",
    help: "When the agent last saved a Vault raft snapshot, in seconds since the epoch (0: none yet).",
    registers: [registry],
    collect() {
      this.reset();
      if (lastSuccessAt !== undefined) this.set(lastSuccessAt / 1000);
    },
  });
  new Gauge({
    name: "bootgate_snapshot_size_bytes",
    help: "The size of the last saved (encrypted) Vault raft snapshot file, in bytes.",
    registers: [registry],
    collect() {
      this.reset();
      if (lastBytes !== undefined) this.set(lastBytes);
    },
  });
  new Counter({
    name: "bootgate_snapshot_failures_total",
    help: "Scheduled Vault raft snapshots that failed.",
    registers: [registry],
    collect() {
      this.reset();
      this.inc(failures);
    },
  });

  const take = async () => {
    try {
      const saved = await save(config, new Date(clock.now()));
      lastSuccessAt = clock.now();
      lastBytes = saved.bytes;
      log(
        `snapshot saved: ${saved.file} (${saved.bytes} bytes${saved.node ? `, from ${saved.node}` : ""}${saved.pruned.length > 0 ? `; ${saved.pruned.length} older removed` : ""})`,
      );
    } catch (error) {
      failures++;
      log(`snapshot failed (next in ${Math.round(every! / 1000)} s): ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  const schedule = () =>
    timers.at(TIMER_KEY, clock.now() + every!, () => {
      running = take().finally(schedule);
    });

  return {
    registry,
    start() {
      if (every === undefined || every <= 0) return;
      log(`a Vault snapshot every ${Math.round(every / 1000)} s into ${config.vault.snapshots.dir}, the newest ${config.vault.snapshots.keep} kept`);
      schedule();
    },
    idle: () => running,
    get lastSuccessAt() {
      return lastSuccessAt;
    },
    get lastBytes() {
      return lastBytes;
    },
    get failures() {
      return failures;
    },
  };
}
