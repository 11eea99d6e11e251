// An auth method enable a cluster's follower sent twice (its first node committed it, then died before
// answering) against a real OpenBao: the second send's "path is already in use" is taken for
// done when the path holds what was asked. The resend is made up here, as in
// kv-resent-write.test.ts: each write goes out twice. The stack has its KV and PKI mounts
// already; their enables share the same check (src/vault/resent-enable.ts, unit-tested).
import { describe, expect, it } from "vitest";
import { ensureCertAuth } from "../../../src/vault/cert-auth.js";
import type { VaultClient } from "../../../src/vault/vault-client.js";
import { inspectVault } from "../../support/vault-inspect.js";
import { startVaultStack } from "../../support/vault-stack.js";

type Write = (path: string, body: unknown) => Promise<unknown>;

/** Every write goes out twice, the first answer lost; `resendsCalls` says whose client it is. */
function doubled(client: VaultClient, resendsCalls: boolean): VaultClient {
  const write = client.api.write.bind(client.api) as Write;
  const api = new Proxy(client.api, {
    get(target, prop, receiver) {
      if (prop !== "write") return Reflect.get(target, prop, receiver) as unknown;
      return async (path: string, body: unknown) => {
        await write(path, body);
        return write(path, body);
      };
    },
  });
  return { ...client, api, resendsCalls };
}

describe("an auth method enable resent by a cluster's follower (real OpenBao)", () => {
  it("should fail the double send on one node's client, as it always did", async () => {
    await using stack = await startVaultStack({ config: { services: [{ name: "core-data" }] } });
    await using vault = await inspectVault(stack.config, stack.ikmFile);
    await expect(ensureCertAuth(doubled(vault.root, false), stack.config)).rejects.toThrow(/enable the cert auth method at cert\/.*HTTP 400/);
  });

  it("should take a cluster's resent 'already in use' for done where the path holds what was asked", async () => {
    await using stack = await startVaultStack({ config: { services: [{ name: "core-data" }] } });
    await using vault = await inspectVault(stack.config, stack.ikmFile);

    expect(await ensureCertAuth(doubled(vault.root, true), stack.config)).toBe(true);
    const cert = (await vault.root.api.read("sys/auth/cert")) as { data?: { type: string }; type?: string };
    expect(cert.data?.type ?? cert.type).toBe("cert");
    // Its roles were written after it (twice each: a role write is a plain overwrite).
    expect(await vault.root.api.read("auth/cert/certs/core-data")).toMatchObject({ data: { allowed_common_names: ["core-data"] } });
  });
});
