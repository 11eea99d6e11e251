// The agent's gateway keeper: the gateway's certificate lives in Vault (gateway-cert put it at
// `<gateway>/tls` and `<gateway>/client-tls`), not on the volume, and its JWT signing key at
// `<gateway>/jwt`. One timer for both: when the certificate falls due it is renewed through the
// gateway's PKI role and written back to both records; when `gateway.jwt.rotate` has passed
// since the newest key was made, a new key is made and the old one kept for one more rotation.
// Then the gateway is applied from Vault through its adapter (nginx: a new generation and a
// graceful reload, so no request fails). An imported certificate is its owner's to renew.
//
// The first pass after a start always applies: a kill between writing Vault and reloading the
// gateway converges there.
import { X509Certificate } from "node:crypto";
import type { Config } from "../config/normalize.js";
import type { ServiceConfig } from "../config/schema.js";
import type { GatewayAdapter } from "../gateway/adapter.js";
import { applyGatewayFromVault } from "../gateway/apply-from-vault.js";
import { fromKvRecord, gatewayClientTlsKey, gatewayTlsFrom, gatewayTlsKey, toKvRecord } from "../gateway/gateway-tls.js";
import { ensureJwtKey, rotateJwtKey } from "../gateway/jwt-key.js";
import type { Route } from "../gateway/route-map.js";
import type { KvClient } from "../vault/kv-client.js";
import type { AgentState, KeptKind } from "./agent-state.js";
import type { Clock, KeyedTimers } from "./keyed-timers.js";
import type { LeafIssuer } from "./leaf-issuer.js";
import { leafDueAt, leafRenewalAt, retryDelayMs } from "./renewal-schedule.js";

export interface GatewayKeeperContext {
  config: Config;
  gateway: ServiceConfig;
  issuer: LeafIssuer;
  /** A KV client logged in as bootgate (the agent's session; not closed here). */
  kv(): Promise<KvClient>;
  adapter(caPem: string): GatewayAdapter;
  /** The route map and the stack's CA bundle, read afresh for every apply. */
  material(): Promise<{ routes: readonly Route[]; caPem: string }>;
  state: AgentState;
  timers: KeyedTimers;
  clock: Clock;
  log: (line: string) => void;
  random?: () => number;
  renewBeforeMs?: number | undefined;
}

export interface GatewayKeeper {
  start(): void;
  /** One pass now (tests; the timer does the same). */
  keep(): Promise<void>;
  idle(): Promise<void>;
}

export const JWT_KEY_ITEM = "gateway-jwt";

export function gatewayKeeper(ctx: GatewayKeeperContext): GatewayKeeper {
  const { config, gateway, state, timers, clock, log } = ctx;
  const random = ctx.random ?? Math.random;
  const rotateMs = config.gateway.jwt.rotateMs;
  const running = new Set<Promise<void>>();
  let applyNeeded = true;
  let failing: KeptKind = "certificate";

  const renewCertificate = async (kv: KvClient): Promise<{ notAfter: number; nextAt: number; renewed: boolean; serial: string }> => {
    const keys = [gatewayTlsKey(gateway.name), gatewayClientTlsKey(gateway.name)];
    const records = await Promise.all(keys.map(async (key) => ({ key, data: await kv.read(key) })));
    // Only what came from the stack's CA; an imported one (public, or the gateway's own) is not ours.
    const ours = records.filter((r) => r.data !== undefined && fromKvRecord(r.data, r.key).source !== "import");
    if (ours.length === 0) throw new Error(`no certificate from the stack's CA in Vault at ${keys.join(" or ")} (run gateway-cert first)`);
    const lifetimes = ours.map((r) => {
      const cert = new X509Certificate(fromKvRecord(r.data, r.key).certPem);
      return { notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo), serial: cert.serialNumber };
    });
    const soonest = lifetimes.reduce((a, b) => (leafDueAt(a, ctx.renewBeforeMs) <= leafDueAt(b, ctx.renewBeforeMs) ? a : b));
    let leaf = soonest;
    let renewed = false;
    if (leafDueAt(soonest, ctx.renewBeforeMs) <= clock.now() + 1_000) {
      const issued = await ctx.issuer.issue(gateway, config.pki.validityMs);
      const tls = gatewayTlsFrom({ certPem: issued.certPem, keyPem: issued.keyPem, chainPem: issued.chainPem, source: "pki-init" });
      // The record the gateway serves from first, then the one it presents to services: a kill in
      // between leaves the second one due, renewed on the next pass.
      for (const r of ours) await kv.write(r.key, toKvRecord(tls));
      const cert = new X509Certificate(tls.certPem);
      leaf = { notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo), serial: cert.serialNumber };
      renewed = true;
      applyNeeded = true;
      log(`certificate of ${gateway.name} (in Vault): renewed, serial ${leaf.serial}, valid until ${leaf.notAfter.toISOString()}`);
    }
    const nextAt = leafRenewalAt(leaf, ctx.renewBeforeMs, clock.now(), random);
    return { notAfter: leaf.notAfter.getTime(), nextAt, renewed, serial: leaf.serial };
  };

  const rotateKey = async (kv: KvClient): Promise<{ createdAt: number; rotated: boolean }> => {
    const ring = await ensureJwtKey(kv, gateway.name, clock.now());
    // A key from before rotation existed counts from now.
    let createdAt = ring.createdAt ?? clock.now();
    if (ring.createdAt !== undefined && createdAt + rotateMs <= clock.now()) {
      const next = await rotateJwtKey(kv, gateway.name, clock.now());
      createdAt = next.createdAt ?? clock.now();
      applyNeeded = true;
      log(
        `JWT signing key of ${gateway.name}: rotated to key ${next.key.keyId}; key ${next.previous?.keyId ?? "(none)"} still accepted until the next rotation`,
      );
      return { createdAt, rotated: true };
    }
    if (ring.created) applyNeeded = true;
    return { createdAt, rotated: false };
  };

  const pass = async (): Promise<void> => {
    try {
      const kv = await ctx.kv();
      failing = "certificate";
      const cert = await renewCertificate(kv);
      state.succeeded("certificate", gateway.name, { expiresAt: cert.notAfter, renewed: cert.renewed, nextAt: cert.nextAt, serial: cert.serial }, clock.now());
      failing = "jwt-key";
      const key = await rotateKey(kv);
      const rotateAt = key.createdAt + rotateMs;
      // The newest key is accepted until two rotations after it was made.
      state.succeeded("jwt-key", JWT_KEY_ITEM, { expiresAt: key.createdAt + 2 * rotateMs, renewed: key.rotated, nextAt: rotateAt }, clock.now());
      if (applyNeeded) {
        failing = "certificate";
        const material = await ctx.material();
        const result = await applyGatewayFromVault(config, kv, ctx.adapter(material.caPem), material);
        applyNeeded = false;
        log(`gateway applied from Vault: ${result.summary}; serving sha256 ${result.tls.fingerprint}`);
      }
      timers.at(`gateway/${gateway.name}`, Math.min(cert.nextAt, rotateAt), () => void run());
    } catch (error) {
      const attempt = state.item(failing, failing === "certificate" ? gateway.name : JWT_KEY_ITEM).failing + 1;
      const nextAt = clock.now() + retryDelayMs(attempt, random);
      const message = error instanceof Error ? error.message : String(error);
      state.failed(failing, failing === "certificate" ? gateway.name : JWT_KEY_ITEM, message, nextAt);
      log(
        `gateway ${failing === "certificate" ? "certificate" : "JWT key"} of ${gateway.name}: ${message}; retrying in ${Math.round((nextAt - clock.now()) / 1000)}s`,
      );
      const item = failing === "certificate" ? gateway.name : JWT_KEY_ITEM;
      timers.retry(
        `gateway/${gateway.name}`,
        nextAt,
        () => void run(),
        (at) => state.rescheduled(failing, item, at),
      );
    }
  };

  // One pass at a time: two reloads must not overlap.
  let chain: Promise<void> = Promise.resolve();
  const run = (): Promise<void> => {
    const p = (chain = chain.then(pass));
    running.add(p);
    void p.finally(() => running.delete(p));
    return p;
  };

  return {
    start: () => {
      state.item("certificate", gateway.name);
      void run();
    },
    keep: run,
    idle: async () => {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
