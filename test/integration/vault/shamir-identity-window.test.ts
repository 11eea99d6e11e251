// vault.seal: shamir, and a first boot cut off after the keyring was written but before the init
// root token made bootgate's identity: the next boot can unseal but not log in. Without
// generate-root (OpenBao's default since 2.5.3) it must stop and say both ways out.
import { describe, expect, it, vi } from "vitest";
import { readGate } from "../../../src/gates/gate-file.js";
import { keyringPath } from "../../../src/volume/layout.js";
import { readSealStatus } from "../../../src/vault/seal-status.js";
import { vaultClientFor } from "../../../src/vault/vault-client.js";
import { startVaultStack } from "../../support/vault-stack.js";

const cut = vi.hoisted(() => ({ once: true }));
vi.mock("../../../src/vault/identity.js", async (importOriginal) => {
  const mod = await importOriginal<typeof import("../../../src/vault/identity.js")>();
  return {
    ...mod,
    createIdentity: async (...args: Parameters<typeof mod.createIdentity>) => {
      if (cut.once) {
        cut.once = false;
        throw new Error("power loss (simulated) before the identity was made");
      }
      return mod.createIdentity(...args);
    },
  };
});

describe("a shamir Vault whose first boot was cut off between init and bootgate's identity", () => {
  it("should unseal it on the next boot, then stop, naming the storage and keyring to remove and CVE-2026-5807, without asking to switch a security default off", async () => {
    await using stack = await startVaultStack({ setup: false, config: { vault: { seal: "shamir" } } });
    const first = await stack.runSetup();
    expect(first.ok).toBe(false);
    await stack.restartBao();
    const next = await stack.runSetup();
    expect(next.ok).toBe(false);
    const message = next.failures[0]?.message ?? "";
    expect(message).toContain("has no working bootgate login");
    expect(message).toContain(`remove Vault's storage and ${keyringPath(stack.config.stateDir)}`);
    expect(message).not.toContain("disable_unauthed_generate_root_endpoints");
    expect(message).toContain('docs/openbao.md ("Upgrading")');
    expect(message).toContain("CVE-2026-5807");
    const client = await vaultClientFor(stack.config);
    expect((await readSealStatus(client)).sealed).toBe(false);
    client.close();
    expect(await readGate(stack.config.secretsDir, "vault-ready")).toBeUndefined();
  });
});
