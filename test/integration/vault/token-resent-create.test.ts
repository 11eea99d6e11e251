// A token create a cluster's follower sent twice (its first node committed it, then died before
// answering) against a real OpenBao: the extra token is found by its create's nonce and revoked,
// the one handed back stays. The resend is the one thing made up here: the request is sent
// through once more, as the follower does, and reported resent as the follower would. A real
// kill -9 of a leader mid-create: cluster-token-kill.test.ts. bootgate's own login is a token
// create too, found by the nonce its JWT carries.
import { rm } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { identities, provisionTokens } from "../../../src/vault/provision-tokens.js";
import { TOKEN_SELF_POLICY } from "../../../src/vault/policies.js";
import { IDENTITY_POLICY } from "../../../src/vault/identity-names.js";
import { ResentCreates } from "../../../src/vault/resent-creates.js";
import { readTokenFile } from "../../../src/vault/token-file.js";
import { CREATE_NONCE_META, createPeriodicToken, lookupSelf, revokeSelf, type TokenInfo } from "../../../src/vault/tokens.js";
import { type VaultClient, vaultClientFor } from "../../../src/vault/vault-client.js";
import { deriveIdentityKey } from "../../../src/vault/derived-keys.js";
import { loginAsBootgate } from "../../../src/vault/identity.js";
import { LOGIN_NONCE_CLAIM } from "../../../src/vault/identity-jwt.js";
import { readIkmFile } from "../../../src/vault/ikm.js";
import { clientWithToken, inspectVault } from "../../support/vault-inspect.js";
import { startVaultStack } from "../../support/vault-stack.js";
import { servicePath } from "../../../src/volume/layout.js";

/** The client as a cluster's: each tracked call goes out twice, the first answer lost; `reported` is what the follower says. */
function resending(client: VaultClient, reported = true): VaultClient {
  return {
    ...client,
    resendsCalls: true,
    callTracked: async (_what, request) => {
      await request(client.api);
      return { value: await request(client.api), resent: reported };
    },
  };
}

const named = (tokens: TokenInfo[], displayName: string) => tokens.filter((t) => t.display_name === `token-${displayName}`);

describe("a token create resent by a cluster's follower (real OpenBao)", () => {
  it("should leave one token, the one handed back, where the double send alone leaves two", async () => {
    await using stack = await startVaultStack({ config: { services: [{ name: "core-data" }, { name: "core-metadata" }] } });
    await using vault = await inspectVault(stack.config, stack.ikmFile);
    const spec = (name: string) => ({ policies: ["svc-core-data", TOKEN_SELF_POLICY], displayName: name, meta: { service: "core-data" } });

    // The same double send with the resend unreported: two live tokens, one held by nobody.
    const unsettled = new ResentCreates();
    await createPeriodicToken(resending(vault.root, false), spec("bootgate-naive"), unsettled);
    expect(unsettled.size).toBe(0);
    const naive = named(await vault.liveTokens(), "bootgate-naive");
    expect(naive).toHaveLength(2);
    expect(new Set(naive.map((t) => t.meta?.[CREATE_NONCE_META])).size, "both carry the one create's nonce").toBe(1);

    // Reported: the extra one is revoked, the one handed back works, and the naive pair is untouched.
    const resent = new ResentCreates();
    const token = await createPeriodicToken(resending(vault.root), spec("bootgate-resent"), resent);
    expect(named(await vault.liveTokens(), "bootgate-resent")).toHaveLength(2);
    expect(await resent.settle(vault.root)).toBe(1);
    const left = named(await vault.liveTokens(), "bootgate-resent");
    expect(left.map((t) => t.accessor)).toEqual([token.accessor]);
    expect(left[0]!.meta?.[CREATE_NONCE_META]).toMatch(/^[0-9a-f-]{36}$/);
    const holder = await clientWithToken(stack.config, token.token);
    try {
      expect((await lookupSelf(holder))?.accessor).toBe(token.accessor);
    } finally {
      holder.close();
    }
    expect(named(await vault.liveTokens(), "bootgate-naive")).toHaveLength(2);
  });

  it("should leave secretstore-setup's provisioning one token per identity, the one in its token.json, when every create went out twice", async () => {
    await using stack = await startVaultStack({ config: { services: [{ name: "core-data" }, { name: "core-metadata" }] } });
    await using vault = await inspectVault(stack.config, stack.ikmFile);
    const ids = identities(stack.config).map((i) => i.name);
    const before = await vault.liveTokens();
    // As after a reboot (an empty tmpfs): every identity gets a new token.
    for (const name of ids) await rm(servicePath(stack.config.secretsDir, name, "token"));

    const result = await provisionTokens(resending(vault.root), stack.config, "boot-resent");
    // Each identity: one new token, its extra twin revoked, the token the first setup made revoked.
    expect(result).toEqual({ issued: ids.length, kept: 0, revoked: ids.length, resentExtra: ids.length });
    const after = await vault.liveTokens();
    for (const name of ids) {
      const live = named(after, `bootgate-${name}`);
      const file = await readTokenFile(stack.config.secretsDir, name);
      expect(
        live.map((t) => t.accessor),
        name,
      ).toEqual([file!.accessor]);
    }
    expect(after.length).toBe(before.length);
  });

  it("should leave one login token, the one handed back, for bootgate's login sent twice (two when the resend goes unreported)", async () => {
    await using stack = await startVaultStack({ config: { services: [{ name: "core-data" }] } });
    await using vault = await inspectVault(stack.config, stack.ikmFile);
    const key = deriveIdentityKey(await readIkmFile(stack.ikmFile, "test"));
    const logins = async () => (await vault.liveTokens()).filter((t) => t.policies.includes(IDENTITY_POLICY));
    const held: string[] = [];
    try {
      const before = (await logins()).length;
      const anonymous = await vaultClientFor(stack.config);
      try {
        const naive = await loginAsBootgate(resending(anonymous, false), key);
        if (!naive.ok) throw new Error(naive.detail);
        held.push(naive.token);
        const afterNaive = await logins();
        expect(afterNaive.length - before, "the double send alone makes two").toBe(2);
        expect(afterNaive.filter((t) => t.meta?.[LOGIN_NONCE_CLAIM]).length, "both carry the login's nonce").toBe(2);

        const login = await loginAsBootgate(resending(anonymous), key);
        if (!login.ok) throw new Error(login.detail);
        held.push(login.token);
        expect(anonymous.api.token, "the anonymous client is anonymous again").toBe("");
        const after = await logins();
        expect(after.length - afterNaive.length).toBe(1);
        expect(after.map((t) => t.accessor)).toContain(login.accessor);
      } finally {
        anonymous.close();
      }
    } finally {
      for (const token of held) {
        const c = await clientWithToken(stack.config, token);
        await revokeSelf(c).finally(() => c.close());
      }
    }
  });
});
