// A write a cluster's follower sent twice (its first node committed it, then died before
// answering) against a real OpenBao: the KV client's check-and-set keeps it to one version, and a
// write that another writer overtook fails without overwriting. The resend is the one thing made
// up here: the client's `write` is called through once more, as the follower does.
import { describe, expect, it } from "vitest";
import { NodeVaultKvClient } from "../../../src/vault/node-vault-kv-client.js";
import type { VaultClient } from "../../../src/vault/vault-client.js";
import { inspectVault } from "../../support/vault-inspect.js";
import { startVaultStack } from "../../support/vault-stack.js";

type Write = (path: string, body: unknown) => Promise<unknown>;

/** The client as a cluster's: each write goes out twice, the first answer lost; `between` runs in the gap. */
function resending(client: VaultClient, between: () => Promise<void> = async () => {}): VaultClient {
  const write = client.api.write.bind(client.api) as Write;
  const api = new Proxy(client.api, {
    get(target, prop, receiver) {
      if (prop !== "write") return Reflect.get(target, prop, receiver) as unknown;
      return async (path: string, body: unknown) => {
        await write(path, body);
        await between();
        return write(path, body);
      };
    },
  });
  return { ...client, api, resendsCalls: true };
}

async function versions(client: VaultClient, mount: string, key: string): Promise<number> {
  const meta = (await client.api.read(`${mount}/metadata/${key}`)) as { data: { current_version: number } };
  return meta.data.current_version;
}

describe("a KV write resent by a cluster's follower (real OpenBao)", () => {
  it("should leave one version for a resent write, new key or old, and refuse to overwrite another writer's", async () => {
    await using stack = await startVaultStack({ config: { services: [{ name: "core-data" }] } });
    await using vault = await inspectVault(stack.config, stack.ikmFile);
    const mount = stack.config.vault.kvMount;
    const plain = new NodeVaultKvClient(vault.root, mount);

    // A key never written: cas 0 on both sends; the second finds it written, with our data.
    const kv = new NodeVaultKvClient(resending(vault.root), mount);
    await kv.write("test/resent", { password: "p1", nested: { a: 1, b: [1, 2] } });
    expect(await versions(vault.root, mount, "test/resent")).toBe(1);
    expect(await plain.read("test/resent")).toEqual({ password: "p1", nested: { a: 1, b: [1, 2] } });

    // An existing key updated: one new version, not two.
    await kv.write("test/resent", { password: "p2" });
    expect(await versions(vault.root, mount, "test/resent")).toBe(2);
    expect(await plain.read("test/resent")).toEqual({ password: "p2" });

    // Without check-and-set (one node, no resends) the same double send makes two versions: what the cluster's client no longer does.
    const naive = new NodeVaultKvClient({ ...resending(vault.root), resendsCalls: false }, mount);
    await naive.write("test/naive", { password: "p1" });
    expect(await versions(vault.root, mount, "test/naive")).toBe(2);

    // Another writer in between the two sends: the resend fails naming the key, and theirs stays.
    const overtaken = new NodeVaultKvClient(
      resending(vault.root, () => plain.write("test/resent", { password: "theirs" })),
      mount,
    );
    await expect(overtaken.write("test/resent", { password: "ours" })).rejects.toThrow(
      new RegExp(`${mount}/data/test/resent changed \\(version 2 is no longer the latest\\) while bootgate wrote it; nothing was overwritten`),
    );
    expect(await plain.read("test/resent")).toEqual({ password: "theirs" });
    expect(await versions(vault.root, mount, "test/resent")).toBe(4);
  });
});
