// vault.seal: auto against an operator's own seal stanza (here OpenBao's static seal with a key
// of the operator's): init keeps recovery keys (encrypted) in the keyring, the stage never
// unseals, the init root token makes bootgate's identity, and later boots log in with it.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSealStatus } from "../../../src/vault/seal-status.js";
import { readTokenFile } from "../../../src/vault/token-file.js";
import { lookupSelf } from "../../../src/vault/tokens.js";
import { vaultClientFor } from "../../../src/vault/vault-client.js";
import { inspectVault, keyringSecrets } from "../../support/vault-inspect.js";
import { startVaultStack } from "../../support/vault-stack.js";

const summary = (events: { type: string; summary?: string }[]) => events.find((e) => e.type === "stage-done")?.summary;

describe("secretstore-setup with an auto-unsealing OpenBao (static seal)", () => {
  it("should keep recovery keys in the keyring, skip the unseal, and log in as bootgate on later boots", async () => {
    const keyDir = await mkdtemp(join(tmpdir(), "bootgate-seal-"));
    const keyFile = join(keyDir, "unseal.key");
    await writeFile(keyFile, randomBytes(32), { mode: 0o600 });
    try {
      await using stack = await startVaultStack({
        setup: false,
        config: { vault: { seal: "auto", keyShares: 3, keyThreshold: 2 } },
        extraHcl: `seal "static" {\n  current_key_id = "1"\n  current_key = "file://${keyFile}"\n}\n`,
      });
      const first = await stack.runSetup();
      expect(first.failures.map((f) => f.message)).toEqual([]);
      expect(summary(first.events)).toBe(
        "initialized, enabled secret/; 4 tokens issued, 0 kept, 0 revoked; enabled pki/, imported this boot's intermediate, 2 certificates issued by Vault, 0 kept",
      );
      const secrets = await keyringSecrets(stack.config, stack.ikmFile);
      expect([secrets.kind, secrets.keysB64.length, secrets.threshold]).toEqual(["recovery", 3, 2]);

      await stack.restartBao();
      const client = await vaultClientFor(stack.config);
      const status = await readSealStatus(client);
      client.close();
      expect(status.recovery_seal).toBe(true);

      const again = await stack.runSetup();
      expect(again.failures.map((f) => f.message)).toEqual([]);
      expect(summary(again.events)).toBe("unsealed already; 0 tokens issued, 4 kept, 0 revoked; 0 certificates issued by Vault, 2 kept");
      const token = (await readTokenFile(stack.config.secretsDir, "core-data"))!.token;
      const svc = await vaultClientFor(stack.config, token);
      expect((await lookupSelf(svc))?.policies).toContain("svc-core-data");
      svc.close();
      await using inspector = await inspectVault(stack.config, stack.ikmFile);
      expect((await inspector.liveTokens()).filter((t) => t.policies.includes("root"))).toEqual([]);
    } finally {
      await rm(keyDir, { recursive: true, force: true });
    }
  });

  it("should refuse to run with vault.seal shamir against a server that auto-unseals", async () => {
    const keyDir = await mkdtemp(join(tmpdir(), "bootgate-seal-"));
    const keyFile = join(keyDir, "unseal.key");
    await writeFile(keyFile, randomBytes(32), { mode: 0o600 });
    try {
      await using stack = await startVaultStack({
        setup: false,
        config: { vault: { seal: "shamir" } },
        extraHcl: `seal "static" {\n  current_key_id = "1"\n  current_key = "file://${keyFile}"\n}\n`,
      });
      const run = await stack.runSetup();
      expect(run.ok).toBe(false);
      expect(run.failures[0]?.message).toMatch(/uses a `static` seal but vault\.seal is `shamir` \(expected shamir seal\)/);
    } finally {
      await rm(keyDir, { recursive: true, force: true });
    }
  });
});
