import { randomBytes } from "node:crypto";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../../src/config/load.js";
import { deriveIdentityKey, deriveSealKey } from "../../../src/vault/derived-keys.js";
import { identityRequests } from "../../../src/vault/identity.js";
import { bootgateIdentityPolicy } from "../../../src/vault/identity-policy.js";
import { sealKeyPath, vaultBootConfig, vaultBootConfigPath, writeVaultBootFiles } from "../../../src/vault/server-boot-config.js";
import { tempDir } from "../../support/tmp-dir.js";

async function configIn(dir: string, vault: Record<string, unknown> = {}) {
  const ikm = randomBytes(32);
  await writeFile(join(dir, "ikm.hex"), ikm.toString("hex"));
  const doc = { secretsDir: "./secrets", stateDir: "./state", services: [{ name: "vault" }], vault: { ikm: { file: "./ikm.hex" }, ...vault } };
  return { ikm, config: parseConfigText(stringify(doc), { source: join(dir, "bootgate.yaml"), baseDir: dir, env: {} }) };
}

describe("OpenBao's boot config from bootgate", () => {
  it("should default to the static seal, key generation 1", async () => {
    await using dir = await tempDir();
    const { config } = await configIn(dir.path);
    expect([config.vault.seal, config.vault.sealKeyId]).toEqual(["static", 1]);
  });

  it("should name the current seal key file and, past generation 1, the one before as previous_key", async () => {
    await using dir = await tempDir();
    const { config } = await configIn(dir.path, { sealKeyId: 3 });
    const boot = vaultBootConfig(config, "PEM") as { seal: { static: Record<string, string> } };
    expect(boot.seal.static).toEqual({
      current_key_id: "bootgate-3",
      current_key: `file://${sealKeyPath(config, 3)}`,
      previous_key_id: "bootgate-2",
      previous_key: `file://${sealKeyPath(config, 2)}`,
    });
  });

  it("should self-initialize with the identity requests, in order, carrying only the public key", async () => {
    await using dir = await tempDir();
    const { config } = await configIn(dir.path);
    const boot = vaultBootConfig(config, "THE-PUBLIC-KEY") as { initialize: { bootgate: { request: Record<string, { path: string }>[] } }[] };
    const requests = boot.initialize[0]!.bootgate.request.map((r) => Object.entries(r)[0]!);
    expect(requests.map(([name, r]) => [name, r.path])).toEqual(identityRequests("secret", { publicKeyPem: "x" }).map((r) => [r.name, r.path]));
    expect(JSON.stringify(boot)).toContain("THE-PUBLIC-KEY");
  });

  it("should write nothing to OpenBao but an empty config for shamir and auto", async () => {
    await using dir = await tempDir();
    for (const seal of ["shamir", "auto"]) {
      const { config } = await configIn(dir.path, { seal });
      expect(vaultBootConfig(config, "PEM")).toEqual({});
      await writeVaultBootFiles(config);
      expect(await readFile(vaultBootConfigPath(config), "utf8")).toBe("{}\n");
      expect((await readdir(join(config.secretsDir, "vault"))).filter((f) => f.endsWith(".key"))).toEqual([]);
    }
  });

  it("should write the derived seal keys 0600, the config without any private key, and drop keys older than previous", async () => {
    await using dir = await tempDir();
    const first = await configIn(dir.path, { sealKeyId: 1 });
    await writeVaultBootFiles(first.config);
    const ikm = first.ikm;
    const { config } = { config: { ...first.config, vault: { ...first.config.vault, sealKeyId: 3 } } };
    await writeVaultBootFiles(config);
    const folder = join(config.secretsDir, "vault");
    expect((await readdir(folder)).filter((f) => f.endsWith(".key")).sort()).toEqual(["seal-2.key", "seal-3.key"]);
    expect(await readFile(sealKeyPath(config, 3))).toEqual(deriveSealKey(ikm, 3));
    for (const f of ["seal-2.key", "seal-3.key", "openbao.json"]) expect((await stat(join(folder, f))).mode & 0o777).toBe(0o600);
    const text = await readFile(vaultBootConfigPath(config), "utf8");
    expect(text).not.toMatch(/PRIVATE/);
    expect(text).toContain(JSON.stringify(deriveIdentityKey(ikm).publicKeyPem));
    expect(text).not.toContain(deriveSealKey(ikm, 3).toString("hex"));
    expect(text).not.toContain(deriveSealKey(ikm, 3).toString("base64"));
  });
});

describe("the bootgate identity's policy", () => {
  const rules = bootgateIdentityPolicy("secret");
  it("should never let bootgate change auth methods but the cert one, audit devices, the seal, its own policy or make a root token", () => {
    expect(rules).toContain('path "sys/auth/cert" {');
    for (const path of [
      'sys/auth"',
      "sys/auth/*",
      "sys/auth/bootgate",
      "auth/bootgate",
      "auth/cert/config",
      "sys/audit/",
      "sys/seal",
      "sys/generate-root",
      "sys/raw",
      'sys/policies/acl/bootgate"',
      "sys/policies/acl/*",
      'auth/token/create"',
      "auth/token/create-orphan",
    ]) {
      expect(rules, path).not.toContain(`path "${path}`);
    }
  });

  it("should let it list token accessors and audit devices, rotate the root key and take raft snapshots, with sudo on those paths only", () => {
    const sudo = [...rules.matchAll(/path "([^"]+)" \{\n {2}capabilities = \[[^\]]*"sudo"[^\]]*\]/g)].map((m) => m[1]);
    expect(sudo).toEqual([
      "auth/token/accessors",
      "sys/audit",
      "sys/rotate/root",
      "sys/storage/raft/snapshot",
      "sys/storage/raft/snapshot-force",
      "sys/auth/cert",
    ]);
  });

  it("should let it write cert roles, and nothing else under auth/cert/", () => {
    expect([...rules.matchAll(/path "(auth\/cert[^"]*)"/g)].map((m) => m[1])).toEqual(["auth/cert/certs/*"]);
  });
});
