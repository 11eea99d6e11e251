// Token creates a cluster's follower sent twice: the nonce each carries, the listing that runs
// only then, and what is revoked — against an in-memory token store (the real OpenBao run is
// test/integration/vault/token-resent-create.test.ts).
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../../src/config/load.js";
import { provisionTokens } from "../../../src/vault/provision-tokens.js";
import { duplicateAccessors, ResentCreates } from "../../../src/vault/resent-creates.js";
import { CREATE_NONCE_META, createPeriodicToken } from "../../../src/vault/tokens.js";
import type { VaultClient } from "../../../src/vault/vault-client.js";
import { tempDir } from "../../support/tmp-dir.js";

const invalid = () => Object.assign(new Error("invalid accessor"), { response: { statusCode: 400, body: {} } });
const notFound = () => Object.assign(new Error("not found"), { response: { statusCode: 404, body: {} } });

interface Live {
  token: string;
  policies: string[];
  meta: Record<string, string>;
}

class FakeTokens {
  live = new Map<string, Live>();
  kv = new Map<string, Record<string, unknown>>();
  calls: string[] = [];
  private n = 0;
  /** Creates the next `times` calls of callTracked make twice over (the first answer lost). */
  doubled = 0;

  private async write(path: string, body: Record<string, unknown>): Promise<unknown> {
    this.calls.push(`write ${path}`);
    const kv = /^secret\/data\/(.+)$/.exec(path);
    if (kv) return void this.kv.set(kv[1]!, body.data as Record<string, unknown>);
    if (path.startsWith("auth/token/create/")) {
      const accessor = `acc-${++this.n}`;
      this.live.set(accessor, { token: `tok-${this.n}`, policies: body.policies as string[], meta: body.meta as Record<string, string> });
      return { auth: { client_token: `tok-${this.n}`, accessor, policies: body.policies } };
    }
    if (path === "auth/token/lookup-accessor") {
      const t = this.live.get(body.accessor as string);
      if (!t) throw invalid();
      return { data: { accessor: body.accessor, policies: t.policies, ttl: 3600, meta: t.meta } };
    }
    if (path === "auth/token/revoke-accessor") {
      if (!this.live.delete(body.accessor as string)) throw invalid();
      return undefined;
    }
    if (path.startsWith("auth/token/roles/") || path.startsWith("sys/policies/")) return undefined;
    throw new Error(`unexpected write ${path}`);
  }

  /** A client of one node (`cluster: false`) or a cluster's, whose callTracked resends `doubled` times. */
  client(cluster: boolean): VaultClient {
    const api = {
      read: async (path: string) => {
        this.calls.push(`read ${path}`);
        const kv = /^secret\/data\/(.+)$/.exec(path);
        if (kv && this.kv.has(kv[1]!)) return { data: { data: this.kv.get(kv[1]!), metadata: { version: 1 } } };
        throw notFound();
      },
      list: async (path: string) => {
        this.calls.push(`list ${path}`);
        return { data: { keys: [...this.live.keys()] } };
      },
      write: (path: string, body: Record<string, unknown>) => this.write(path, body),
    } as unknown as VaultClient["api"];
    const base: VaultClient = { api, address: "https://vault:8200", serverName: "vault", caPem: "", close: () => {} };
    if (!cluster) return base;
    return {
      ...base,
      resendsCalls: true,
      callTracked: async (_what, request) => {
        if (this.doubled > 0) {
          this.doubled--;
          await request(api);
          return { value: await request(api), resent: true };
        }
        return { value: await request(api), resent: false };
      },
    };
  }
}

const spec = { policies: ["svc-a"], displayName: "bootgate-a", meta: { service: "a" } };

describe("token creates resent by a cluster's follower", () => {
  it("should pick, for each resent create, every other token with its nonce and nothing else", () => {
    const resent = [
      { nonce: "n1", keep: "acc-2" },
      { nonce: "n2", keep: "acc-4" },
    ];
    const tokens = [
      { accessor: "acc-1", meta: { [CREATE_NONCE_META]: "n1" } },
      { accessor: "acc-2", meta: { [CREATE_NONCE_META]: "n1" } },
      { accessor: "acc-3", meta: { [CREATE_NONCE_META]: "n3" } },
      { accessor: "acc-4", meta: { [CREATE_NONCE_META]: "n2" } },
      { accessor: "acc-5", meta: null },
      { accessor: "acc-6" },
      { accessor: "acc-7", meta: { [CREATE_NONCE_META]: "n2" } },
    ];
    expect(duplicateAccessors(resent, tokens)).toEqual(["acc-1", "acc-7"]);
    expect(duplicateAccessors([], tokens)).toEqual([]);
    // A login's nonce sits under its own key (the identity role's claim mapping).
    expect(duplicateAccessors([{ nonce: "n1", keep: "acc-9" }], [{ accessor: "acc-8", meta: { bootgate_login: "n1" } }, ...tokens], "bootgate_login")).toEqual([
      "acc-8",
    ]);
  });

  it("should create as before on one node's client: no nonce, one write, nothing gathered", async () => {
    const store = new FakeTokens();
    const resent = new ResentCreates();
    const token = await createPeriodicToken(store.client(false), spec, resent);
    expect(store.live.get(token.accessor)?.meta).toEqual({ service: "a" });
    expect(store.calls).toEqual(["write auth/token/create/bootgate-services"]);
    expect(resent.size).toBe(0);
  });

  it("should tag a cluster's create with a nonce and make no other call when it went out once", async () => {
    const store = new FakeTokens();
    const resent = new ResentCreates();
    const client = store.client(true);
    const token = await createPeriodicToken(client, spec, resent);
    expect(store.live.get(token.accessor)?.meta).toEqual({ service: "a", [CREATE_NONCE_META]: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(resent.size).toBe(0);
    expect(await resent.settle(client)).toBe(0);
    expect(store.calls).toEqual(["write auth/token/create/bootgate-services"]);
  });

  it("should revoke the extra token of a create sent twice, keeping the one handed back and every other token", async () => {
    const store = new FakeTokens();
    const client = store.client(true);
    const resent = new ResentCreates();
    const other = await createPeriodicToken(client, { ...spec, displayName: "bootgate-b" }, resent);
    store.doubled = 1;
    const token = await createPeriodicToken(client, spec, resent);
    expect(store.live.size).toBe(3);
    expect(resent.size).toBe(1);
    expect(await resent.settle(client)).toBe(1);
    expect([...store.live.keys()].sort()).toEqual([other.accessor, token.accessor].sort());
    expect(store.live.get(token.accessor)?.token).toBe(token.token);
    expect(resent.size).toBe(0);
  });

  it("should leave secretstore-setup one token per identity after some of its creates were sent twice, counting the extras apart", async () => {
    await using tmp = await tempDir();
    const dir = tmp.path;
    const yaml = `secretsDir: ${dir}/secrets\nstateDir: ${dir}/state\nservices:\n  - name: a\n  - name: b\n  - name: c\n`;
    const config = parseConfigText(yaml, { source: "cfg.yaml", baseDir: dir, env: {} });
    const store = new FakeTokens();
    store.doubled = 2;
    const result = await provisionTokens(store.client(true), config, "boot-1");
    expect(result).toEqual({ issued: 4, kept: 0, revoked: 0, resentExtra: 2 });
    expect(store.live.size).toBe(4);
    expect(store.calls.filter((c) => c.startsWith("list"))).toEqual(["list auth/token/accessors"]);
  });
});
