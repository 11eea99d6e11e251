// A mount enable sent twice: the second send's 400 is done only on a cluster's client and only
// where the path holds what was asked (the real OpenBao run: test/integration/vault/resent-enable.test.ts).
import { describe, expect, it } from "vitest";
import { ensureKvV2 } from "../../../src/vault/kv-mount.js";
import type { VaultClient } from "../../../src/vault/vault-client.js";

const http = (statusCode: number, message: string) => Object.assign(new Error(message), { response: { statusCode } });

/** A Vault whose mount at `secret/` appears with the first enable; every enable after is refused as in use. */
function vault(resendsCalls: boolean, mountedAs = { type: "kv", options: { version: "2" } }) {
  let mounted: unknown;
  let enables = 0;
  const api = {
    read: async () => {
      if (mounted === undefined) throw http(400, "No secret engine mount at secret/");
      return { data: mounted };
    },
    write: async () => {
      enables++;
      if (mounted === undefined) mounted = mountedAs;
      throw http(400, "path is already in use at secret/");
    },
  };
  const client = { api: api as unknown as VaultClient["api"], address: "https://vault:8200", serverName: "vault", caPem: "", resendsCalls, close: () => {} };
  return { client, enables: () => enables };
}

describe("an enable resent by a cluster's follower", () => {
  it("should take 'already in use' for done on a cluster's client when the mount is what was asked", async () => {
    const v = vault(true);
    expect(await ensureKvV2(v.client, "secret")).toBe(true);
    expect(v.enables()).toBe(1);
  });

  it("should throw it on one node's client, and on a cluster's when the path holds something else", async () => {
    await expect(ensureKvV2(vault(false).client, "secret")).rejects.toThrow(/enable kv-v2 at secret\/.*HTTP 400: path is already in use/);
    await expect(ensureKvV2(vault(true, { type: "kv", options: { version: "1" } }).client, "secret")).rejects.toThrow(/HTTP 400: path is already in use/);
  });
});
