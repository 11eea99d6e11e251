// The leaf keeper with a fake issuer (an ephemeral CA in memory) and a fake clock: when it
// renews, what it writes, how it backs off.
import { createPrivateKey, X509Certificate } from "node:crypto";
import { chown, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AgentState } from "../../../src/agent/agent-state.js";
import { type Clock, KeyedTimers } from "../../../src/agent/keyed-timers.js";
import type { LeafIssuer } from "../../../src/agent/leaf-issuer.js";
import { leafKeeper } from "../../../src/agent/leaf-keeper.js";
import { RETRY_BACKOFF } from "../../../src/agent/renewal-schedule.js";
import { parseConfig } from "../../support/config-text.js";
import { writeCaBundle, writeServices } from "../../../src/pki/bundle-writer.js";
import { createEphemeralCa } from "../../../src/pki/ephemeral-ca.js";
import { issueLeaf } from "../../../src/pki/leaf-issue.js";
import { caBundlePath, servicePath } from "../../../src/volume/layout.js";
import { tempDir } from "../../support/tmp-dir.js";

const T0 = Date.UTC(2026, 5, 1);
const VALIDITY = 90_000;
const RENEW_BEFORE = 60_000;

function fakeClock() {
  let now = T0;
  const pending: { at: number; fn: () => void; id: number }[] = [];
  let next = 0;
  const clock: Clock = {
    now: () => now,
    setTimeout: (fn, ms) => (pending.push({ at: now + ms, fn, id: ++next }), next),
    clearTimeout: (id) => {
      const i = pending.findIndex((p) => p.id === id);
      if (i >= 0) pending.splice(i, 1);
    },
  };
  /** Moves to the next timer and runs it; its time. */
  const fireNext = () => {
    pending.sort((a, b) => a.at - b.at);
    const t = pending.shift();
    if (!t) throw new Error("no timer pending");
    now = Math.max(now, t.at);
    t.fn();
    return t.at;
  };
  return { clock, fireNext, pending, set: (t: number) => (now = t) };
}

async function setUp(dir: string) {
  const config = parseConfig(`secretsDir: ${join(dir, "secrets")}\npki:\n  validity: 90s\n  renewBefore: 60s\nservices:\n  - name: core-data\n`);
  const ca = await createEphemeralCa({ algorithm: "ecdsa-p256", validityMs: 86_400_000, now: new Date(T0 - 3_600_000), kernelBootId: "k" });
  const fake = fakeClock();
  const calls: string[] = [];
  let failing = 0;
  const issuer: LeafIssuer = {
    async issue(service, ttlMs) {
      calls.push(service.name);
      if (failing > 0) {
        failing--;
        throw new Error("Vault at https://vault:8200: connection refused");
      }
      const leaf = await issueLeaf(ca, { service, algorithm: "ecdsa-p256", validityMs: ttlMs, now: new Date(fake.clock.now()) });
      return { certPem: leaf.certPem, keyPem: leaf.keyPem, chainPem: ca.chainPem };
    },
  };
  await writeCaBundle(config.secretsDir, ca.bundlePem);
  const write = async (notBefore: number) => {
    const leaf = await issueLeaf(ca, { service: config.services[0]!, algorithm: "ecdsa-p256", validityMs: VALIDITY, now: new Date(notBefore) });
    await writeServices(config.secretsDir, [{ service: config.services[0]!, certPem: leaf.certPem + ca.chainPem, keyPem: leaf.keyPem, caPem: ca.bundlePem }]);
    return leaf.serial;
  };
  const state = new AgentState();
  const timers = new KeyedTimers(fake.clock);
  const keeper = leafKeeper({
    config: { ...config, services: config.services },
    issuer,
    state,
    timers,
    clock: fake.clock,
    log: () => {},
    random: () => 0,
    renewBeforeMs: RENEW_BEFORE,
  });
  const serial = async () => new X509Certificate(await readFile(servicePath(config.secretsDir, "core-data", "cert"))).serialNumber;
  return { config, ca, fake, timers, fireNext: fake.fireNext, calls, issuer, write, state, keeper, serial, failNext: (n: number) => (failing = n) };
}

describe("the leaf keeper", () => {
  it("should renew an expired leaf at once, keeping ca.pem and the bundle byte-identical", async () => {
    await using dir = await tempDir();
    const t = await setUp(dir.path);
    const old = await t.write(T0 - 200_000);
    const caCopy = await readFile(servicePath(t.config.secretsDir, "core-data", "ca"));
    const bundle = await readFile(caBundlePath(t.config.secretsDir));
    await t.keeper.keep("core-data");
    expect(t.calls).toEqual(["core-data"]);
    const renewed = await t.serial();
    expect(renewed).not.toBe(old);
    const cert = new X509Certificate(await readFile(servicePath(t.config.secretsDir, "core-data", "cert")));
    expect(cert.checkIssued(t.ca.intermediate)).toBe(true);
    expect(await readFile(servicePath(t.config.secretsDir, "core-data", "ca"))).toEqual(caCopy);
    expect(await readFile(caBundlePath(t.config.secretsDir))).toEqual(bundle);
    expect((await stat(servicePath(t.config.secretsDir, "core-data", "key"))).mode & 0o777).toBe(0o600);
    expect(t.state.item("certificate", "core-data")).toMatchObject({ serial: renewed, renewedAt: T0, failing: 0 });
  });

  it("should leave a leaf that is not due, and renew it at notAfter - renewBefore", async () => {
    await using dir = await tempDir();
    const t = await setUp(dir.path);
    const old = await t.write(T0);
    await t.keeper.keep("core-data");
    expect(t.calls).toEqual([]);
    const notAfter = new Date(new X509Certificate(await readFile(servicePath(t.config.secretsDir, "core-data", "cert"))).validTo).getTime();
    expect(t.state.item("certificate", "core-data").nextAt).toBe(notAfter - RENEW_BEFORE);
    expect(t.fireNext()).toBe(notAfter - RENEW_BEFORE);
    await t.keeper.idle();
    expect(t.calls).toEqual(["core-data"]);
    expect(await t.serial()).not.toBe(old);
  });

  it("should retry a failing issuer with backoff capped at 5 minutes, and renew once it answers", async () => {
    await using dir = await tempDir();
    const t = await setUp(dir.path);
    const old = await t.write(T0 - 200_000);
    t.failNext(12);
    await t.keeper.keep("core-data");
    const gaps: number[] = [];
    let last = T0;
    for (let i = 0; i < 12; i++) {
      const at = t.fireNext();
      gaps.push(at - last);
      last = at;
      await t.keeper.idle();
    }
    expect(t.calls).toHaveLength(13);
    // random() = 0: half of each exponential step, never more than half the cap.
    expect(gaps.slice(0, 4)).toEqual([500, 1000, 2000, 4000]);
    expect(Math.max(...gaps)).toBe(RETRY_BACKOFF.capMs / 2);
    const item = t.state.item("certificate", "core-data");
    expect(item.failing).toBe(0);
    expect(item.failuresTotal).toBe(12);
    expect(await t.serial()).not.toBe(old);
  });

  it("should report the hurried time as the next try once a waiting retry is moved (Vault came back), not the old backoff's", async () => {
    await using dir = await tempDir();
    const t = await setUp(dir.path);
    await t.write(T0 - 200_000);
    t.failNext(8);
    await t.keeper.keep("core-data");
    for (let i = 0; i < 6; i++) {
      t.fireNext();
      await t.keeper.idle();
    }
    const item = t.state.item("certificate", "core-data");
    const now = t.fake.clock.now();
    expect(item.nextAt! - now).toBeGreaterThan(10_000);
    let changes = 0;
    t.state.onChanged = () => changes++;
    expect(t.timers.hurryRetries(1_000, () => 0.5)).toBe(1);
    expect(item.nextAt).toBe(now + 500);
    expect(changes).toBe(1);
    expect(t.fireNext()).toBe(now + 500);
  });

  it("should renew at once a leaf whose key.pem is not its key (a write cut between the two renames), leaving a matching pair", async () => {
    await using dir = await tempDir();
    const t = await setUp(dir.path);
    const old = await t.write(T0);
    // Another leaf's key in place of this one's: what a kill -9 between key.pem's and cert.pem's rename leaves.
    const stray = await issueLeaf(t.ca, { service: t.config.services[0]!, algorithm: "ecdsa-p256", validityMs: VALIDITY, now: new Date(T0) });
    await writeFile(servicePath(t.config.secretsDir, "core-data", "key"), stray.keyPem, { mode: 0o600 });
    await t.keeper.keep("core-data");
    expect(t.calls).toEqual(["core-data"]);
    const cert = new X509Certificate(await readFile(servicePath(t.config.secretsDir, "core-data", "cert")));
    expect(cert.serialNumber).not.toBe(old);
    expect(cert.checkPrivateKey(createPrivateKey(await readFile(servicePath(t.config.secretsDir, "core-data", "key"))))).toBe(true);
  });

  it("should keep the owner of the files it replaces when the config names none (PostgreSQL's key under up --local)", async () => {
    if (process.getuid?.() !== 0) throw new Error("chown to another uid needs root (as CI runs)");
    await using dir = await tempDir();
    const t = await setUp(dir.path);
    await t.write(T0 - 200_000);
    for (const f of ["key", "cert"] as const) await chown(servicePath(t.config.secretsDir, "core-data", f), 1001, 1002);
    await t.keeper.keep("core-data");
    expect(t.calls).toEqual(["core-data"]);
    for (const f of ["key", "cert"] as const) {
      const info = await stat(servicePath(t.config.secretsDir, "core-data", f));
      expect([info.uid, info.gid], f).toEqual([1001, 1002]);
    }
    expect((await stat(servicePath(t.config.secretsDir, "core-data", "key"))).mode & 0o777).toBe(0o600);
  });
});
