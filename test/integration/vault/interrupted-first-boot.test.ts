// A Vault whose first boot was cut off between OpenBao's init and its self-initialization's
// requests: initialized and unsealed, but without bootgate's login. In compose bootgate cannot
// set its storage aside, so the stage must say exactly that and what to remove.
import { readFile, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { readGate } from "../../../src/gates/gate-file.js";
import { vaultBootConfigPath } from "../../../src/vault/server-boot-config.js";
import { startVaultStack } from "../../support/vault-stack.js";

describe("a Vault initialized by a first boot that was cut off", () => {
  it("should fail secretstore-setup saying it holds nothing anyone can use and which storage to remove, opening no gate", async () => {
    await using stack = await startVaultStack({ setup: false, start: false, pki: true, config: { vault: { waitTimeout: "3s" } } });
    // The seal is bootgate's, but the self-initialization ran nothing of the identity: what a cut
    // between OpenBao's init and its requests leaves.
    const path = vaultBootConfigPath(stack.config);
    const boot = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
    boot.initialize = [
      { bootgate: { request: [{ probe: { operation: "update", path: "sys/policies/acl/probe", data: { policy: 'path "x" { capabilities = ["read"] }' } } }] } },
    ];
    await writeFile(path, JSON.stringify(boot));
    await stack.startBao();
    const run = await stack.runSetup();
    expect(run.ok).toBe(false);
    const message = run.failures[0]?.message ?? "";
    expect(message).toContain(`Vault at ${stack.config.vault.address} is initialized but has no bootgate login (auth/bootgate/)`);
    expect(message).toContain("its storage holds nothing anyone can use");
    expect(message).toContain("compose: the vault-data volume");
    expect(await readGate(stack.config.secretsDir, "vault-ready")).toBeUndefined();
  });
});
