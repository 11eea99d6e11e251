// The gateway keeper with fakes (an ephemeral CA in memory, a Map for KV, an adapter that records
// what it was given, a clock that only moves when told): when it renews and rotates, what it
// leaves alone, and that the gateway is applied after each change and once after a start.
import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { AgentState } from "../../../src/agent/agent-state.js";
import { gatewayKeeper, JWT_KEY_ITEM } from "../../../src/agent/gateway-keeper.js";
import { type Clock, KeyedTimers } from "../../../src/agent/keyed-timers.js";
import type { LeafIssuer } from "../../../src/agent/leaf-issuer.js";
import type { GatewayAdapter, GatewayMaterial } from "../../../src/gateway/adapter.js";
import { gatewayTlsFrom, toKvRecord } from "../../../src/gateway/gateway-tls.js";
import { jwtKeyPath } from "../../../src/gateway/jwt-key.js";
import { createEphemeralCa } from "../../../src/pki/ephemeral-ca.js";
import { issueLeaf } from "../../../src/pki/leaf-issue.js";
import { parseConfig } from "../../support/config-text.js";

const T0 = Date.UTC(2026, 5, 1);

async function setUp(options: { importedServed?: boolean } = {}) {
  let now = T0;
  const clock: Clock = { now: () => now, setTimeout: () => 0, clearTimeout: () => {} };
  const config = parseConfig(
    "services:\n  - name: gateway\npki:\n  validity: 90s\n  renewBefore: 60s\ngateway:\n  routes: ./routes.toml\n  jwt:\n    rotate: 1h\n",
  );
  const gateway = config.services[0]!;
  const ca = await createEphemeralCa({ algorithm: "ecdsa-p256", validityMs: 86_400_000, now: new Date(T0 - 3_600_000), kernelBootId: "k" });
  const leafAt = async (at: number, name = "gateway") => {
    const leaf = await issueLeaf(ca, { service: { ...gateway, name }, algorithm: "ecdsa-p256", validityMs: 90_000, now: new Date(at) });
    return { certPem: leaf.certPem, keyPem: leaf.keyPem, chainPem: ca.chainPem };
  };
  const kv = new Map<string, Record<string, unknown>>();
  const boot = gatewayTlsFrom({ ...(await leafAt(T0)), source: "pki-init" });
  kv.set("gateway/tls", toKvRecord(options.importedServed ? gatewayTlsFrom({ ...(await leafAt(T0 - 1000, "public")), source: "import" }) : boot));
  kv.set("gateway/client-tls", toKvRecord(boot));
  const issued: string[] = [];
  const issuer: LeafIssuer = {
    issue: async (service) => {
      issued.push(service.name);
      return leafAt(now);
    },
  };
  const applied: GatewayMaterial[] = [];
  const adapter: GatewayAdapter = { kind: "nginx", apply: async (m) => (applied.push(m), { summary: "applied" }) };
  const state = new AgentState();
  const keeper = gatewayKeeper({
    config,
    gateway,
    issuer,
    kv: async () => ({ read: async (k) => kv.get(k), write: async (k, v) => void kv.set(k, v) }),
    adapter: () => adapter,
    material: async () => ({ routes: [], caPem: ca.bundlePem }),
    state,
    timers: new KeyedTimers(clock),
    clock,
    log: () => {},
    random: () => 0,
    renewBeforeMs: 60_000,
  });
  return { keeper, kv, issued, applied, state, boot, move: (ms: number) => (now += ms) };
}

const serial = (record: Record<string, unknown> | undefined) => new X509Certificate(String(record?.certificate)).serialNumber;

describe("the agent's gateway keeper", () => {
  it("should apply once after a start, making the JWT key when there is none, and renew nothing that is not due", async () => {
    const t = await setUp();
    await t.keeper.keep();
    expect(t.issued).toEqual([]);
    expect(t.applied).toHaveLength(1);
    expect(t.applied[0]!.tls.fingerprint).toBe(t.boot.fingerprint);
    expect(t.kv.get(jwtKeyPath("gateway"))?.created_at).toBe(new Date(T0).toISOString());
    await t.keeper.keep();
    expect(t.applied).toHaveLength(1);
  });

  it("should renew a due certificate into both records and apply the new one", async () => {
    const t = await setUp();
    await t.keeper.keep();
    t.move(31_000);
    await t.keeper.keep();
    expect(t.issued).toEqual(["gateway"]);
    expect(serial(t.kv.get("gateway/tls"))).not.toBe(new X509Certificate(t.boot.certPem).serialNumber);
    expect(serial(t.kv.get("gateway/client-tls"))).toBe(serial(t.kv.get("gateway/tls")));
    expect(t.applied.at(-1)!.tls.fingerprint).toBe(t.kv.get("gateway/tls")?.fingerprint_sha256);
    expect(t.state.item("certificate", "gateway").renewedAt).toBe(T0 + 31_000);
  });

  it("should leave an imported served certificate alone and renew only the one presented to services", async () => {
    const t = await setUp({ importedServed: true });
    const imported = t.kv.get("gateway/tls");
    await t.keeper.keep();
    t.move(31_000);
    await t.keeper.keep();
    expect(t.kv.get("gateway/tls")).toBe(imported);
    expect(serial(t.kv.get("gateway/client-tls"))).not.toBe(new X509Certificate(t.boot.certPem).serialNumber);
  });

  it("should rotate the JWT key after gateway.jwt.rotate, keep the previous one for the gateway, and apply both", async () => {
    const t = await setUp();
    await t.keeper.keep();
    const first = t.kv.get(jwtKeyPath("gateway"))!;
    t.move(3_600_000);
    await t.keeper.keep();
    const second = t.kv.get(jwtKeyPath("gateway"))!;
    expect(second.secret).not.toBe(first.secret);
    expect(second.previous_secret).toBe(first.secret);
    const material = t.applied.at(-1)!;
    expect(material.jwt.key.secret).toBe(second.secret);
    expect(material.jwt.previous?.secret).toBe(first.secret);
    expect(t.state.item("jwt-key", JWT_KEY_ITEM).expiresAt).toBe(T0 + 3_600_000 + 2 * 3_600_000);
  });

  it("should count a failed renewal as the certificate's and retry, applying nothing new", async () => {
    const t = await setUp();
    t.kv.delete("gateway/tls");
    t.kv.delete("gateway/client-tls");
    await t.keeper.keep();
    const it = t.state.item("certificate", "gateway");
    expect(it.failuresTotal).toBe(1);
    expect(it.lastError).toMatch(/gateway\/tls.*gateway-cert/);
    expect(t.applied).toEqual([]);
  });
});
