// /metrics: prom-client gauges read from the agent's state at scrape time. The names follow
// cert-manager's (certmanager_certificate_expiration_timestamp_seconds, …) so dashboards and
// alerts written for it carry over with the prefix changed.
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import type { AgentState } from "./agent-state.js";

const seconds = (ms: number) => ms / 1000;

export interface AgentMetricsSources {
  state: AgentState;
  /** Every gate of the current boot, open or not; read at scrape time. */
  gates: () => Promise<{ gate: string; open: boolean }[]>;
  /** Refreshes state.vaultSealed before the scrape is answered. */
  refreshVault: () => Promise<void>;
}

export function agentMetrics(sources: AgentMetricsSources): Registry {
  const { state } = sources;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const items = (kind: "certificate" | "token") => [...state.items.values()].filter((i) => i.kind === kind);

  new Gauge({
    name: "bootgate_certificate_expiration_timestamp_seconds",
    help: "The date after which the service's certificate expires, in seconds since the epoch.",
    labelNames: ["service"],
    registers: [registry],
    collect() {
      this.reset();
      for (const it of items("certificate")) if (it.expiresAt !== undefined) this.set({ service: it.service }, seconds(it.expiresAt));
    },
  });
  new Gauge({
    name: "bootgate_certificate_renewal_timestamp_seconds",
    help: "The date the agent next renews (or retries) the service's certificate, in seconds since the epoch.",
    labelNames: ["service"],
    registers: [registry],
    collect() {
      this.reset();
      for (const it of items("certificate")) if (it.nextAt !== undefined) this.set({ service: it.service }, seconds(it.nextAt));
    },
  });
  new Gauge({
    name: "bootgate_certificate_ready_status",
    help: "Whether the service's certificate is valid now (condition True, False or Unknown).",
    labelNames: ["service", "condition"],
    registers: [registry],
    collect() {
      this.reset();
      const now = Date.now();
      for (const it of items("certificate")) {
        const condition = it.expiresAt === undefined ? "Unknown" : it.expiresAt > now ? "True" : "False";
        for (const c of ["True", "False", "Unknown"]) this.set({ service: it.service, condition: c }, c === condition ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: "bootgate_token_expiration_timestamp_seconds",
    help: "The date the service's Vault token expires unless renewed, in seconds since the epoch.",
    labelNames: ["service"],
    registers: [registry],
    collect() {
      this.reset();
      for (const it of items("token")) if (it.expiresAt !== undefined) this.set({ service: it.service }, seconds(it.expiresAt));
    },
  });
  new Counter({
    name: "bootgate_renewal_failures_total",
    help: "Failed renewals, by service and kind (certificate, token).",
    labelNames: ["service", "kind"],
    registers: [registry],
    collect() {
      this.reset();
      for (const it of state.items.values()) this.inc({ service: it.service, kind: it.kind }, it.failuresTotal);
    },
  });
  new Gauge({
    name: "bootgate_vault_sealed",
    help: "1 while Vault is sealed, 0 while it is unsealed, NaN while it does not answer.",
    registers: [registry],
    async collect() {
      await sources.refreshVault();
      this.set(state.vaultSealed === undefined ? NaN : state.vaultSealed ? 1 : 0);
    },
  });
  new Gauge({
    name: "bootgate_gate_open",
    help: "1 for a gate of the current boot that is open, 0 for one that is not.",
    labelNames: ["gate"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const g of await sources.gates()) this.set({ gate: g.gate }, g.open ? 1 : 0);
    },
  });
  return registry;
}
