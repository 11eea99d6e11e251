// secretstore-setup when Vault is late or never comes: it waits within vault.waitTimeout, and
// when the time runs out it fails naming the address and opens no gate.
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readGate } from "../../../src/gates/gate-file.js";
import { readVaultStatus } from "../../../src/status/vault-status.js";
import { readSealStatus } from "../../../src/vault/seal-status.js";
import { vaultClientFor } from "../../../src/vault/vault-client.js";
import { runCli } from "../../support/cli.js";
import { startVaultStack } from "../../support/vault-stack.js";
import { VAULT_READY } from "../../../src/gates/gate-names.js";

describe("secretstore-setup and Vault's availability", () => {
  it("should wait for a Vault that comes up 10 s after the stage starts, then succeed", async () => {
    await using stack = await startVaultStack({ setup: false, start: false, pki: true, config: { vault: { waitTimeout: "40s" } } });
    const run = stack.runSetup();
    const started = Date.now();
    await new Promise((r) => setTimeout(r, 10_000));
    await stack.startBao();
    const result = await run;
    expect(result.failures.map((f) => f.message)).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(10_000);
    expect(result.events.some((e) => e.type === "stage-log" && /waiting for Vault at https:\/\/127\.0\.0\.1:\d+/.test(e.message))).toBe(true);
    expect((await readGate(stack.config.secretsDir, VAULT_READY))?.gate).toBe(VAULT_READY);
    const client = await vaultClientFor(stack.config);
    expect((await readSealStatus(client)).sealed).toBe(false);
    client.close();
  });

  it("should fail after vault.waitTimeout when Vault never comes up, name the address and open no gate", async () => {
    await using stack = await startVaultStack({ setup: false, start: false, pki: true, config: { vault: { waitTimeout: "2s" } } });
    const result = await stack.runSetup();
    expect(result.ok).toBe(false);
    const message = result.failures[0]?.message ?? "";
    expect(message).toContain("stage secretstore-setup failed");
    expect(message).toContain(`timed out after 2s waiting for Vault at ${stack.config.vault.address}`);
    expect(message).toMatch(/ECONNREFUSED/);
    expect(await readGate(stack.config.secretsDir, VAULT_READY)).toBeUndefined();
    const status = await readVaultStatus(stack.config);
    expect(status.state).toBe("unreachable");
    expect(status.error).toMatch(/ECONNREFUSED/);
    expect(status.tokens.every((t) => t.state === "missing")).toBe(true);
  });

  it("should exit 1 from `bootgate run --only secretstore-setup` when Vault never comes up, naming the stage and the address", async () => {
    await using stack = await startVaultStack({ setup: false, start: false, pki: true, config: { vault: { waitTimeout: "1s" } } });
    const { code, stderr } = await runCli(["run", "--only", "secretstore-setup", "--config", join(stack.dir, "bootgate.yaml"), "--json"]);
    expect(code).toBe(1);
    expect(stderr).toContain(`stage secretstore-setup failed: timed out after 1s waiting for Vault at ${stack.config.vault.address}`);
    expect(await readGate(stack.config.secretsDir, VAULT_READY)).toBeUndefined();
  });
});
