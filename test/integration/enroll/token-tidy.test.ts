// The records `bootgate token --enroll` leaves in Vault (one per token) are tidied once their
// token expired an hour ago, used or not, against a real OpenBao with bootgate's own identity;
// a record still guarding a live token, or one whose expiry cannot be read, stays.
import { describe, expect, it } from "vitest";
import { enrollTokenPath } from "../../../src/enroll/enroll-store.js";
import { TOKEN_RECORD_GRACE_MS } from "../../../src/enroll/enroll-service.js";
import { vaultEnrollStore } from "../../../src/enroll/vault-enroll-store.js";
import { NodeVaultKvClient } from "../../../src/vault/node-vault-kv-client.js";
import { vaultStatusCode } from "../../../src/vault/vault-errors.js";
import { inspectVault } from "../../support/vault-inspect.js";
import { startVaultStack } from "../../support/vault-stack.js";

describe("tidying expired enrollment token records (real OpenBao)", () => {
  it("should remove the records of tokens expired past the grace, used or not, and keep the rest", async () => {
    await using stack = await startVaultStack({ config: { services: [{ name: "core-data" }] } });
    await using vault = await inspectVault(stack.config, stack.ikmFile);
    const mount = stack.config.vault.kvMount;
    const store = vaultEnrollStore(() => Promise.resolve(vault.root), mount);
    const now = Date.now();
    const hour = 3_600_000;

    await store.recordToken("old-used", "core-data", now - 2 * hour);
    expect(await store.useToken("old-used", "core-data", now - 3 * hour)).toEqual({ ok: true });
    await store.recordToken("old-unused", "core-data", now - 2 * hour);
    await store.recordToken("just-expired", "core-data", now - 10 * 60_000);
    await store.recordToken("live", "core-data", now + hour);
    await new NodeVaultKvClient(vault.root, mount).write(enrollTokenPath("unreadable"), { service: "core-data" });

    // Nothing is removed by a tidy that came before any expiry.
    expect(await store.tidyTokens(now - 3 * hour)).toBe(0);
    expect(await store.tidyTokens(now - TOKEN_RECORD_GRACE_MS)).toBe(2);

    const exists = async (jti: string) =>
      vault.root.api.read(`${mount}/metadata/${enrollTokenPath(jti)}`).then(
        () => true,
        (error: unknown) => {
          if (vaultStatusCode(error) === 404) return false;
          throw error;
        },
      );
    expect(await exists("old-used")).toBe(false);
    expect(await exists("old-unused")).toBe(false);
    expect(await exists("just-expired")).toBe(true);
    expect(await exists("live")).toBe(true);
    expect(await exists("unreadable")).toBe(true);
    // The live token still has its one use, and a removed one is unknown (its own exp refuses it first).
    expect(await store.useToken("live", "core-data", now)).toEqual({ ok: true });
    expect((await store.useToken("old-unused", "core-data", now)).ok).toBe(false);
    // Later, the rest but the unreadable one; then nothing more.
    expect(await store.tidyTokens(now + 10 * hour)).toBe(2);
    expect(await store.tidyTokens(now + 10 * hour)).toBe(0);
    expect(await exists("unreadable")).toBe(true);
  });
});
