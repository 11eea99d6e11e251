import { createPrivateKey, X509Certificate } from "node:crypto";
import { access, readFile, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { takeGatewayLeaf, GATEWAY_LEAF_HANDOFF } from "../../../src/pki/gateway-handoff.js";
import { provisionTestPki, readLeaf, serialsOf } from "../../support/pki.js";
import { importFilesOf, mint, mintImportSet, writeImportDir, writeLeafDir } from "../../support/pki-fixtures.js";
import { tempDir } from "../../support/tmp-dir.js";
import { caBundlePath, serviceDir, servicePath } from "../../../src/volume/layout.js";

const DAY = 86_400_000;
const SERVICES = [{ name: "vault", dns: ["vault.internal"], ip: ["127.0.0.1"] }, { name: "postgres", ip: ["127.0.0.1", "::1"] }, { name: "core-data" }];
const NAMES = SERVICES.map((s) => s.name);
const BOOT = { kernelBootId: "boot-a" };
const exists = (p: string) =>
  access(p).then(
    () => true,
    () => false,
  );

describe("pki-init in ephemeral mode", () => {
  it("should keep every serial and the CA on a rerun in the same boot", async () => {
    await using dir = await tempDir();
    const first = await provisionTestPki(dir.path, { services: SERVICES }, BOOT);
    const before = await serialsOf(first.config.secretsDir, NAMES);
    const caBefore = await readFile(caBundlePath(first.config.secretsDir), "utf8");

    const second = await provisionTestPki(dir.path, { services: SERVICES }, BOOT);
    expect(second.result.summary).toBe("issued 0, kept 3; this boot's CA");
    expect(await serialsOf(first.config.secretsDir, NAMES)).toEqual(before);
    expect(await readFile(caBundlePath(first.config.secretsDir), "utf8")).toBe(caBefore);
  });

  it("should give everything new after the secrets folder was emptied (a reboot)", async () => {
    await using dir = await tempDir();
    const first = await provisionTestPki(dir.path, { services: SERVICES }, BOOT);
    const before = await serialsOf(first.config.secretsDir, NAMES);
    await rm(first.config.secretsDir, { recursive: true });

    const second = await provisionTestPki(dir.path, { services: SERVICES }, BOOT);
    expect(second.result.summary).toBe("issued 3, kept 0; new ephemeral CA");
    const after = await serialsOf(first.config.secretsDir, NAMES);
    for (const name of NAMES) expect(after[name]).not.toBe(before[name]);
  });

  it("should make a new CA and reissue all when one service's folder was emptied, since this boot's CA key is gone", async () => {
    await using dir = await tempDir();
    const first = await provisionTestPki(dir.path, { services: SERVICES }, BOOT);
    const before = await serialsOf(first.config.secretsDir, NAMES);
    await rm(join(first.config.secretsDir, "postgres"), { recursive: true });
    const lines: string[] = [];
    await provisionTestPki(dir.path, { services: SERVICES }, { ...BOOT, log: (l) => lines.push(l) });
    const after = await serialsOf(first.config.secretsDir, NAMES);
    for (const name of NAMES) expect(after[name]).not.toBe(before[name]);
    expect(lines.join("\n")).toContain("renewing this boot's CA: 1 certificate(s) must be reissued");
    // Every leaf chains to the new bundle.
    const bundle = await readFile(caBundlePath(first.config.secretsDir), "utf8");
    const intermediate = new X509Certificate(bundle.split(/(?<=-----END CERTIFICATE-----\n)/)[1]!);
    for (const name of NAMES) expect((await readLeaf(first.config.secretsDir, name)).verify(intermediate.publicKey)).toBe(true);
  });

  it("should not take up a CA left by another kernel boot", async () => {
    await using dir = await tempDir();
    const first = await provisionTestPki(dir.path, { services: SERVICES }, { kernelBootId: "boot-a" });
    const before = await serialsOf(first.config.secretsDir, NAMES);
    const second = await provisionTestPki(dir.path, { services: SERVICES }, { kernelBootId: "boot-b" });
    expect(second.result.ca.renewed).toBe(true);
    const after = await serialsOf(first.config.secretsDir, NAMES);
    expect(after.vault).not.toBe(before.vault);
  });

  it("should reissue when a service's names or the key algorithm changed", async () => {
    await using dir = await tempDir();
    const first = await provisionTestPki(dir.path, { services: SERVICES }, BOOT);
    const before = await serialsOf(first.config.secretsDir, NAMES);
    const changed = SERVICES.map((s) => (s.name === "core-data" ? { ...s, dns: ["core-data.internal"] } : s));
    const second = await provisionTestPki(dir.path, { services: changed }, BOOT);
    expect(second.result.ca.renewed).toBe(true);
    expect((await serialsOf(first.config.secretsDir, NAMES))["core-data"]).not.toBe(before["core-data"]);
    expect((await readLeaf(first.config.secretsDir, "core-data")).subjectAltName).toBe("DNS:core-data, DNS:core-data.internal");

    const third = await provisionTestPki(dir.path, { services: changed, pki: { keyAlgorithm: "ed25519" } }, BOOT);
    expect(third.result.summary).toBe("issued 3, kept 0; new ephemeral CA");
    expect((await readLeaf(first.config.secretsDir, "vault")).publicKey.asymmetricKeyType).toBe("ed25519");
  });

  it("should reissue everything once leaves come within renewBefore of their end", async () => {
    await using dir = await tempDir();
    const pki = { validity: "10d", renewBefore: "3d" };
    const t0 = new Date();
    const first = await provisionTestPki(dir.path, { services: SERVICES, pki }, { ...BOOT, now: t0 });
    const before = await serialsOf(first.config.secretsDir, NAMES);
    const kept = await provisionTestPki(dir.path, { services: SERVICES, pki }, { ...BOOT, now: new Date(t0.getTime() + 6 * DAY) });
    expect(kept.result.summary).toBe("issued 0, kept 3; this boot's CA");
    const renewed = await provisionTestPki(dir.path, { services: SERVICES, pki }, { ...BOOT, now: new Date(t0.getTime() + 8 * DAY) });
    expect(renewed.result.summary).toBe("issued 3, kept 0; new ephemeral CA");
    expect((await serialsOf(first.config.secretsDir, NAMES)).vault).not.toBe(before.vault);
  });
});

describe("pki-init and the gateway", () => {
  const withGateway = { services: [...SERVICES, { name: "gateway", dns: ["gateway.internal"] }], gateway: { routes: "./routes.toml" } };

  it("should hand the gateway's leaf over in memory and write only ca.pem to its folder", async () => {
    await using dir = await tempDir();
    const { config, result } = await provisionTestPki(dir.path, withGateway, BOOT);
    const leaf = result.gatewayLeaf!;
    expect(leaf.source).toBe("issued");
    expect(leaf.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const cert = new X509Certificate(leaf.certPem);
    expect(cert.subject).toBe("CN=gateway");
    expect(cert.checkPrivateKey(createPrivateKey(leaf.keyPem))).toBe(true);
    expect(cert.verify(new X509Certificate(leaf.chainPem).publicKey)).toBe(true);
    expect(leaf.caPem).toBe(await readFile(caBundlePath(config.secretsDir), "utf8"));
    expect((await readdir(serviceDir(config.secretsDir, "gateway"))).sort()).toEqual(["ca.pem"]);

    // Nowhere on the volume is the gateway's key.
    for (const name of NAMES) expect(await readFile(servicePath(config.secretsDir, name, "key"), "utf8")).not.toBe(leaf.keyPem);

    const handoff = new Map<string, unknown>([[GATEWAY_LEAF_HANDOFF, leaf]]);
    expect(takeGatewayLeaf(handoff)).toBe(leaf);
    expect(handoff.has(GATEWAY_LEAF_HANDOFF)).toBe(false);
  });

  it("should remove a gateway key an earlier run without routes left on the volume", async () => {
    await using dir = await tempDir();
    const { config } = await provisionTestPki(dir.path, { services: withGateway.services }, BOOT);
    expect(await exists(servicePath(config.secretsDir, "gateway", "key"))).toBe(true);
    await provisionTestPki(dir.path, withGateway, BOOT);
    expect(await exists(servicePath(config.secretsDir, "gateway", "key"))).toBe(false);
    expect(await exists(servicePath(config.secretsDir, "gateway", "cert"))).toBe(false);
  });

  it("should hand nothing over when a rerun keeps this boot's CA (the one in Vault stands)", async () => {
    await using dir = await tempDir();
    await provisionTestPki(dir.path, withGateway, BOOT);
    const { result } = await provisionTestPki(dir.path, withGateway, BOOT);
    expect(result.gatewayLeaf).toBeUndefined();
    expect(result.services.find((s) => s.service === "gateway")?.action).toBe("in-vault");
  });

  it("should still issue the gateway's stack leaf when gateway.importCert (gateway-cert's own) is set", async () => {
    await using dir = await tempDir();
    const { result } = await provisionTestPki(dir.path, { ...withGateway, gateway: { ...withGateway.gateway, importCert: "./public-cert" } }, BOOT);
    expect(result.gatewayLeaf?.source).toBe("issued");
    expect(new X509Certificate(result.gatewayLeaf!.certPem).subject).toBe("CN=gateway");
  });

  it("should hand over the gateway's imported leaf as is", async () => {
    await using dir = await tempDir();
    const publicRoot = await mint({ name: "Public Root", ca: true });
    const publicLeaf = await mint({ name: "gateway", issuer: publicRoot, dns: ["example.org"] });
    const leafDir = await writeLeafDir(join(dir.path, "import-gw"), { cert: publicLeaf.pem, key: publicLeaf.keyPem, chain: publicRoot.pem });
    const services = withGateway.services.map((s) => (s.name === "gateway" ? { ...s, importCert: leafDir } : s));
    const { config, result } = await provisionTestPki(dir.path, { ...withGateway, services }, BOOT);
    expect(result.gatewayLeaf?.source).toBe("imported");
    expect(result.gatewayLeaf?.certPem).toBe(publicLeaf.pem);
    expect(result.gatewayLeaf?.chainPem).toBe(publicRoot.pem);
    expect((await readdir(serviceDir(config.secretsDir, "gateway"))).sort()).toEqual(["ca.pem"]);
  });
});

describe("pki-init with an imported CA", () => {
  it("should issue from the imported intermediate, keep valid leaves on a rerun and reissue only an emptied folder", async () => {
    await using dir = await tempDir();
    const set = await mintImportSet();
    const importDir = await writeImportDir(join(dir.path, "state", "import"), importFilesOf(set));
    const input = { services: SERVICES, pki: { ca: { import: importDir } } };
    const { config, result } = await provisionTestPki(dir.path, input, BOOT);
    expect(result.summary).toBe("issued 3, kept 0; imported CA");
    expect(await readFile(caBundlePath(config.secretsDir), "utf8")).toBe(set.root.pem + set.intermediate.pem);
    const vault = await readFile(servicePath(config.secretsDir, "vault", "cert"), "utf8");
    expect(vault.endsWith(set.intermediate.pem)).toBe(true);
    const before = await serialsOf(config.secretsDir, NAMES);

    await rm(join(config.secretsDir, "postgres"), { recursive: true });
    const rerun = await provisionTestPki(dir.path, input, BOOT);
    expect(rerun.result.summary).toBe("issued 1, kept 2; imported CA");
    const after = await serialsOf(config.secretsDir, NAMES);
    expect(after.vault).toBe(before.vault);
    expect(after["core-data"]).toBe(before["core-data"]);
    expect(after.postgres).not.toBe(before.postgres);
  });

  it("should write a service's imported leaf as is, with its chain, and count it as imported", async () => {
    await using dir = await tempDir();
    const set = await mintImportSet();
    const importDir = await writeImportDir(join(dir.path, "state", "import"), importFilesOf(set));
    const own = await mint({ name: "core-data", issuer: set.intermediate });
    const leafDir = await writeLeafDir(join(dir.path, "state", "core-data"), { cert: own.pem, key: own.keyPem });
    const services = SERVICES.map((s) => (s.name === "core-data" ? { ...s, importCert: leafDir } : s));
    const { config, result } = await provisionTestPki(dir.path, { services, pki: { ca: { import: importDir } } }, BOOT);
    expect(result.summary).toBe("issued 2, kept 0, imported 1; imported CA");
    expect(await readFile(servicePath(config.secretsDir, "core-data", "cert"), "utf8")).toBe(own.pem + set.intermediate.pem);
    expect(await readFile(servicePath(config.secretsDir, "core-data", "key"), "utf8")).toBe(own.keyPem);
  });
});
