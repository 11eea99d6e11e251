// Which tokens secretstore-setup issues, keeps and revokes, against an in-memory token store
// that answers the few Vault paths provisioning uses.
import { rm, stat, writeFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../../src/config/load.js";
import type { Config } from "../../../src/config/normalize.js";
import { provisionTokens } from "../../../src/vault/provision-tokens.js";
import { readTokenFile } from "../../../src/vault/token-file.js";
import type { VaultClient } from "../../../src/vault/vault-client.js";
import { tempDir } from "../../support/tmp-dir.js";
import { servicePath } from "../../../src/volume/layout.js";

class FakeTokenStore {
  live = new Map<string, { token: string; policies: string[] }>();
  kv = new Map<string, Record<string, unknown>>();
  private n = 0;
  client(): VaultClient {
    const notFound = () => Object.assign(new Error("not found"), { response: { statusCode: 404, body: {} } });
    const api = {
      read: async (path: string) => {
        const m = /^secret\/data\/(.+)$/.exec(path);
        if (m && this.kv.has(m[1]!)) return { data: { data: this.kv.get(m[1]!) } };
        throw notFound();
      },
      write: async (path: string, body: Record<string, unknown>) => {
        const m = /^secret\/data\/(.+)$/.exec(path);
        if (m) return void this.kv.set(m[1]!, body.data as Record<string, unknown>);
        if (path === "auth/token/roles/bootgate-services") return undefined;
        if (path === "auth/token/create/bootgate-services") {
          const accessor = `acc-${++this.n}`;
          const token = `tok-${this.n}`;
          this.live.set(accessor, { token, policies: body.policies as string[] });
          return { auth: { client_token: token, accessor, policies: body.policies } };
        }
        if (path === "auth/token/lookup-accessor") {
          const t = this.live.get(body.accessor as string);
          if (!t) throw Object.assign(new Error("invalid accessor"), { response: { statusCode: 400, body: {} } });
          return { data: { accessor: body.accessor, policies: t.policies, ttl: 3600 } };
        }
        if (path === "auth/token/revoke-accessor") {
          if (!this.live.delete(body.accessor as string)) throw Object.assign(new Error("invalid accessor"), { response: { statusCode: 400, body: {} } });
          return undefined;
        }
        throw new Error(`unexpected write ${path}`);
      },
    };
    return { api: api as unknown as VaultClient["api"], address: "https://vault:8200", serverName: "vault", caPem: "", close: () => {} };
  }
}

function configIn(dir: string, services: string[]): Config {
  const yaml = `secretsDir: ${dir}/secrets\nstateDir: ${dir}/state\nservices:\n${services.map((s) => `  - name: ${s}\n`).join("")}`;
  return parseConfigText(yaml, { source: "cfg.yaml", baseDir: dir, env: {} });
}

describe("token provisioning", () => {
  it("should issue one token per service and one for bootgate, each in a 0600 token.json", async () => {
    await using dir = await tempDir();
    const store = new FakeTokenStore();
    const config = configIn(dir.path, ["vault", "core-data"]);
    expect(await provisionTokens(store.client(), config, "boot-1")).toEqual({ issued: 3, kept: 0, revoked: 0 });
    const file = (await readTokenFile(config.secretsDir, "core-data"))!;
    expect(file.policies).toEqual(["svc-core-data", "bootgate-token-self"]);
    expect(store.live.get(file.accessor)?.token).toBe(file.token);
    expect((await stat(servicePath(config.secretsDir, "bootgate", "token"))).mode & 0o777).toBe(0o600);
  });

  it("should keep every recorded, valid token on a rerun and issue none", async () => {
    await using dir = await tempDir();
    const store = new FakeTokenStore();
    const config = configIn(dir.path, ["vault", "core-data"]);
    await provisionTokens(store.client(), config, "boot-1");
    const before = await readTokenFile(config.secretsDir, "core-data");
    expect(await provisionTokens(store.client(), config, "boot-1")).toEqual({ issued: 0, kept: 3, revoked: 0 });
    expect(await readTokenFile(config.secretsDir, "core-data")).toEqual(before);
  });

  it("should issue a new token where the file is gone and revoke the one it replaces", async () => {
    await using dir = await tempDir();
    const store = new FakeTokenStore();
    const config = configIn(dir.path, ["vault", "core-data"]);
    await provisionTokens(store.client(), config, "boot-1");
    const old = (await readTokenFile(config.secretsDir, "core-data"))!;
    await rm(servicePath(config.secretsDir, "core-data", "token"));
    expect(await provisionTokens(store.client(), config, "boot-2")).toEqual({ issued: 1, kept: 2, revoked: 1 });
    expect(store.live.has(old.accessor)).toBe(false);
    expect((await readTokenFile(config.secretsDir, "core-data"))!.bootId).toBe("boot-2");
  });

  it("should not trust a token file whose accessor is not the recorded one", async () => {
    await using dir = await tempDir();
    const store = new FakeTokenStore();
    const config = configIn(dir.path, ["vault", "core-data"]);
    await provisionTokens(store.client(), config, "boot-1");
    const planted = { ...(await readTokenFile(config.secretsDir, "core-data"))!, accessor: "acc-planted", token: "tok-planted" };
    await writeFile(servicePath(config.secretsDir, "core-data", "token"), JSON.stringify(planted));
    expect(await provisionTokens(store.client(), config, "boot-1")).toMatchObject({ issued: 1, revoked: 1 });
    expect((await readTokenFile(config.secretsDir, "core-data"))!.token).not.toBe("tok-planted");
  });

  it("should revoke the token of a service dropped from the config", async () => {
    await using dir = await tempDir();
    const store = new FakeTokenStore();
    await provisionTokens(store.client(), configIn(dir.path, ["vault", "core-data", "old-svc"]), "boot-1");
    const old = (await readTokenFile(`${dir.path}/secrets`, "old-svc"))!;
    expect(await provisionTokens(store.client(), configIn(dir.path, ["vault", "core-data"]), "boot-1")).toEqual({ issued: 0, kept: 3, revoked: 1 });
    expect(store.live.has(old.accessor)).toBe(false);
    expect(store.live.size).toBe(3);
  });
});
