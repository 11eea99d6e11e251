// pki.issuer: vault with a fake PkiEngine: what pki-init leaves to Vault, how the intermediate
// gets there, which leaves Vault issues and which stay.
import { createPrivateKey, randomBytes, X509Certificate } from "node:crypto";
import { access, readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { createEphemeralCa } from "../../../src/pki/ephemeral-ca.js";
import { INTERMEDIATE_HANDOFF, type PendingIntermediate, putIntermediate } from "../../../src/pki/pending-intermediate.js";
import { takeGatewayLeaf } from "../../../src/pki/gateway-handoff.js";
import { kernelBootId } from "../../../src/gates/gate-file.js";
import { issueWithVault } from "../../../src/vault/vault-issuer.js";
import { readSealedIntermediate, writeSealedIntermediate } from "../../../src/pki/sealed-intermediate.js";
import { issueThroughVault } from "../../../src/pki/vault-leaves.js";
import { writeCaBundle } from "../../../src/pki/bundle-writer.js";
import { roleFor, setUpPkiEngine } from "../../../src/vault/pki-setup.js";
import { caBundlePath, sealedIntermediatePath, servicePath } from "../../../src/volume/layout.js";
import { FakePkiEngine } from "../../support/fake-pki-engine.js";
import { pkiTestConfig, provisionTestPki } from "../../support/pki.js";
import { tempDir } from "../../support/tmp-dir.js";

const SERVICES = [{ name: "vault" }, { name: "postgres" }, { name: "core-data", dns: ["core-data.internal"] }, { name: "log-shipper", ip: ["10.0.0.9"] }];
const VAULT = { ikm: { file: "/nonexistent/ikm.hex" } };
const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

async function thisBootsCa() {
  return createEphemeralCa({ algorithm: "ecdsa-p256", validityMs: 90 * 86_400_000, now: new Date(), kernelBootId: "boot-a", exportIntermediateKey: true });
}

describe("pki-init with Vault as the issuer", () => {
  it("should issue only Vault's and PostgreSQL's leaves and hand over the intermediate with its key before writing anything", async () => {
    await using dir = await tempDir();
    let bundleBefore: boolean | undefined;
    let pending: PendingIntermediate | undefined;
    const { config, result } = await provisionTestPki(
      dir.path,
      { services: SERVICES, vault: VAULT },
      {
        kernelBootId: "boot-a",
        onNewIntermediate: async (p) => {
          pending = p;
          bundleBefore = await exists(caBundlePath(`${dir.path}/secrets`));
        },
      },
    );
    expect(config.pki.issuer).toBe("vault");
    expect(bundleBefore).toBe(false);
    expect(result.summary).toBe("issued 2, kept 0, 2 left to Vault; new ephemeral CA");
    expect(result.services.filter((s) => s.action === "vault").map((s) => s.service)).toEqual(["core-data", "log-shipper"]);
    expect(await exists(servicePath(config.secretsDir, "core-data", "cert"))).toBe(false);
    const intermediate = new X509Certificate(pending!.certPem);
    expect(intermediate.checkPrivateKey(createPrivateKey(pending!.keyPem))).toBe(true);
    expect((await readFile(caBundlePath(config.secretsDir), "utf8")) === pending!.rootPem + pending!.certPem).toBe(true);
    expect(result.intermediate).toEqual(pending);
  });

  it("should keep every pki-init leaf on a rerun and hand nothing over (Vault holds the intermediate already)", async () => {
    await using dir = await tempDir();
    await provisionTestPki(dir.path, { services: SERVICES, vault: VAULT }, { kernelBootId: "boot-a" });
    const again = await provisionTestPki(dir.path, { services: SERVICES, vault: VAULT }, { kernelBootId: "boot-a" });
    expect(again.result.summary).toBe("issued 0, kept 2, 2 left to Vault; this boot's CA");
    expect(again.result.intermediate).toBeUndefined();
  });
});

describe("the sealed intermediate", () => {
  it("should open with the IKM that sealed it, never hold the key in clear, and refuse another IKM naming the file", async () => {
    await using dir = await tempDir();
    const ca = await thisBootsCa();
    const pending = { certPem: ca.chainPem, keyPem: ca.intermediateKeyPem!, rootPem: "ROOT" };
    const ikm = randomBytes(32);
    await writeSealedIntermediate(dir.path, ikm, pending);
    const text = await readFile(sealedIntermediatePath(dir.path), "utf8");
    expect(text).not.toMatch(/PRIVATE KEY|BEGIN/);
    expect(await readSealedIntermediate(dir.path, ikm)).toEqual(pending);
    const error = await readSealedIntermediate(dir.path, randomBytes(32)).catch((e: unknown) => e as Error);
    expect((error as Error).message).toContain(sealedIntermediatePath(dir.path));
    expect((error as Error).message).not.toMatch(/PRIVATE|BEGIN/);
    expect(await readSealedIntermediate(`${dir.path}/elsewhere`, ikm)).toBeUndefined();
  });
});

describe("Vault's PKI engine set up and issuing", () => {
  it("should import the pending intermediate once as default issuer, and refuse to go on when Vault holds another and none is pending", async () => {
    await using dir = await tempDir();
    const config = pkiTestConfig(dir.path, { services: SERVICES, vault: VAULT });
    const ca = await thisBootsCa();
    const engine = new FakePkiEngine(ca);
    const pending = { certPem: ca.chainPem, keyPem: ca.intermediateKeyPem!, rootPem: ca.bundlePem.slice(0, -ca.chainPem.length) };
    expect(await setUpPkiEngine(engine, config, ca.chainPem, pending)).toEqual({ mounted: true, imported: true });
    expect(engine.imports).toEqual([pending.keyPem + pending.certPem + pending.rootPem]);
    expect((await engine.defaultIssuer())!.certPem).toBe(ca.chainPem);
    expect(engine.configuredWith).toBe(config.vault.address);
    // A role per service, and bootgate's own (the agent renews its listener's leaf through it).
    expect([...engine.roles.keys()].sort()).toEqual([...config.services.map((s) => s.name), "bootgate"].sort());
    // A rerun: Vault holds it already, nothing imported again.
    expect(await setUpPkiEngine(engine, config, ca.chainPem, undefined)).toEqual({ mounted: false, imported: false });
    expect(engine.imports).toHaveLength(1);
    const other = await thisBootsCa();
    await expect(setUpPkiEngine(engine, config, other.chainPem, undefined)).rejects.toThrow(/does not hold this boot's intermediate .* remove ca\/ca\.pem/);
  });

  it("should make one role per service allowing exactly its names, IPs only where configured, the configured key and validity", () => {
    const config = pkiTestConfig("/x", { services: SERVICES, vault: VAULT, pki: { keyAlgorithm: "rsa-2048", validity: "30d" } });
    expect(roleFor(config.services[2]!, config)).toEqual({
      name: "core-data",
      allowedDomains: ["core-data", "core-data.internal"],
      allowIpSans: false,
      keyType: "rsa",
      keyBits: 2048,
      ttlMs: 30 * 86_400_000,
    });
    expect(roleFor(config.services[3]!, config).allowIpSans).toBe(true);
  });

  it("should issue through Vault what pki-init left, keep it on a rerun, and issue only a service added later", async () => {
    await using dir = await tempDir();
    const config = pkiTestConfig(dir.path, { services: SERVICES, vault: VAULT });
    const ca = await thisBootsCa();
    await writeCaBundle(config.secretsDir, ca.bundlePem);
    const engine = new FakePkiEngine(ca);
    await setUpPkiEngine(engine, config, ca.chainPem, { certPem: ca.chainPem, keyPem: ca.intermediateKeyPem!, rootPem: "" });

    const first = await issueThroughVault(engine, config, ca, { gateway: false });
    expect(engine.issued.sort()).toEqual(["core-data", "log-shipper"]);
    expect(first.services.every((s) => s.action === "issued" && !s.reissued)).toBe(true);
    const pem = await readFile(servicePath(config.secretsDir, "core-data", "cert"), "utf8");
    expect(pem.endsWith(ca.chainPem)).toBe(true);
    expect(new X509Certificate(pem).checkIssued(ca.intermediate)).toBe(true);
    expect(await readFile(servicePath(config.secretsDir, "core-data", "ca"), "utf8")).toBe(ca.bundlePem);

    engine.issued = [];
    const again = await issueThroughVault(engine, config, ca, { gateway: false });
    expect(engine.issued).toEqual([]);
    expect(again.services.map((s) => s.action)).toEqual(["kept", "kept"]);

    const more = pkiTestConfig(dir.path, { services: [...SERVICES, { name: "log-collector" }], vault: VAULT });
    for (const s of more.services) await engine.writeRole(roleFor(s, more));
    await issueThroughVault(engine, more, ca, { gateway: false });
    expect(engine.issued).toEqual(["log-collector"]);
    expect(await readFile(servicePath(config.secretsDir, "core-data", "cert"), "utf8")).toBe(pem);
  });

  it("should issue the gateway's leaf in memory only, when Vault took a new intermediate", async () => {
    await using dir = await tempDir();
    const config = pkiTestConfig(dir.path, { services: [...SERVICES, { name: "gateway" }], vault: VAULT, gateway: { routes: "./routes.toml" } });
    const ca = await thisBootsCa();
    await writeCaBundle(config.secretsDir, ca.bundlePem);
    const engine = new FakePkiEngine(ca);
    await setUpPkiEngine(engine, config, ca.chainPem, { certPem: ca.chainPem, keyPem: ca.intermediateKeyPem!, rootPem: "" });
    const run = await issueThroughVault(engine, config, ca, { gateway: true });
    expect(run.gatewayLeaf?.service).toBe("gateway");
    expect(new X509Certificate(run.gatewayLeaf!.certPem).checkIssued(ca.intermediate)).toBe(true);
    expect(await exists(servicePath(config.secretsDir, "gateway", "key"))).toBe(false);
    expect(await exists(servicePath(config.secretsDir, "gateway", "ca"))).toBe(true);
    const kept = await issueThroughVault(engine, config, ca, { gateway: false });
    expect(kept.gatewayLeaf).toBeUndefined();
    expect(kept.services.find((s) => s.service === "gateway")?.action).toBe("in-vault");
  });
});

describe("secretstore-setup's PKI part", () => {
  async function contextWith(dirPath: string) {
    const config = pkiTestConfig(dirPath, { services: [...SERVICES, { name: "gateway" }], vault: VAULT, gateway: { routes: "./routes.toml" } });
    const ca = await createEphemeralCa({
      algorithm: "ecdsa-p256",
      validityMs: 90 * 86_400_000,
      now: new Date(),
      kernelBootId: kernelBootId(),
      exportIntermediateKey: true,
    });
    await writeCaBundle(config.secretsDir, ca.bundlePem);
    const handoff = new Map<string, unknown>();
    putIntermediate(handoff, { certPem: ca.chainPem, keyPem: ca.intermediateKeyPem!, rootPem: ca.bundlePem.slice(0, -ca.chainPem.length) });
    const ctx = { config, bootId: "b", log: { info: () => {} }, signal: new AbortController().signal, handoff };
    return { ctx, ca };
  }

  it("should take the intermediate from the handoff, keep it there through a failed attempt, and let it go once Vault holds it", async () => {
    await using dir = await tempDir();
    const { ctx, ca } = await contextWith(dir.path);
    const engine = new FakePkiEngine(ca);
    const issue = engine.issue.bind(engine);
    let failures = 1;
    engine.issue = async (role, request) => {
      if (failures-- > 0) throw new Error("Vault went away");
      return issue(role, request);
    };
    await expect(issueWithVault(ctx, engine, undefined)).rejects.toThrow(/Vault went away/);
    expect(ctx.handoff.has(INTERMEDIATE_HANDOFF)).toBe(true);
    const summary = await issueWithVault(ctx, engine, undefined);
    expect(summary).toBe("3 certificates issued by Vault, 0 kept");
    expect(engine.imports).toHaveLength(1);
    expect(ctx.handoff.has(INTERMEDIATE_HANDOFF)).toBe(false);
    // The gateway's leaf goes on to gateway-cert in memory.
    expect(takeGatewayLeaf(ctx.handoff)?.service).toBe("gateway");
  });

  it("should refuse, naming what to do, when Vault does not hold this boot's intermediate and nothing is pending", async () => {
    await using dir = await tempDir();
    const { ctx, ca } = await contextWith(dir.path);
    ctx.handoff.clear();
    await expect(issueWithVault(ctx, new FakePkiEngine(ca), undefined)).rejects.toThrow(/remove ca\/ca\.pem .* run pki-init again/);
  });
});
