// The agent's token keeper against a real OpenBao: short token periods, renewals, a revoked
// token replaced, a kill -9 mid-work.
import { spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { startAgent } from "../../../src/agent/run-agent.js";
import { poll } from "../../../src/util/poll.js";
import { sleep } from "../../../src/util/sleep.js";
import { deriveIdentityKey } from "../../../src/vault/derived-keys.js";
import { loginAsBootgate } from "../../../src/vault/identity.js";
import { readIkmFile } from "../../../src/vault/ikm.js";
import { TOKEN_SELF_POLICY } from "../../../src/vault/policies.js";
import { readTokenFile } from "../../../src/vault/token-file.js";
import { readTokenRegistry } from "../../../src/vault/token-registry.js";
import { lookupSelf, revokeSelf } from "../../../src/vault/tokens.js";
import { vaultClientFor } from "../../../src/vault/vault-client.js";
import { vaultStatusCode } from "../../../src/vault/vault-errors.js";
import { servicePath, serviceDir } from "../../../src/volume/layout.js";
import type { Config } from "../../../src/config/normalize.js";
import { freePort } from "../../../src/servers/free-port.js";
import { startVaultStack } from "../../support/vault-stack.js";
import { BOOTGATE_BIN } from "../../support/waiters.js";
import { seededRandom } from "../../support/seeded-random.js";

const PERIOD_S = 6;
const agentConfig = async () => ({ services: SERVICES, vault: { tokenPeriod: `${PERIOD_S}s` }, agent: { listen: `127.0.0.1:${await freePort()}` } });
const SERVICES = [{ name: "core-data" }, { name: "core-metadata" }];

/** The token in `service`'s token.json, asked of Vault with itself: Vault's status code. */
async function vaultAnswer(config: Config, service: string): Promise<{ status: number; accessor: string }> {
  const file = await readTokenFile(config.secretsDir, service);
  if (!file) throw new Error(`no token.json for ${service}`);
  const client = await vaultClientFor(config, file.token);
  try {
    await client.api.read("auth/token/lookup-self");
    return { status: 200, accessor: file.accessor };
  } catch (error) {
    return { status: vaultStatusCode(error) ?? 0, accessor: file.accessor };
  } finally {
    client.close();
  }
}

/** bootgate's own identity (what the agent logs in as): only it may read the token registry. */
async function loginAsIdentity(config: Config, ikmFile: string) {
  const anonymous = await vaultClientFor(config);
  try {
    const login = await loginAsBootgate(anonymous, deriveIdentityKey(await readIkmFile(ikmFile, config.source)));
    if (!login.ok) throw new Error(login.detail);
    return await vaultClientFor(config, login.token);
  } finally {
    anonymous.close();
  }
}

async function revokeTokenOf(config: Config, service: string): Promise<string> {
  const file = (await readTokenFile(config.secretsDir, service))!;
  const client = await vaultClientFor(config, file.token);
  try {
    await revokeSelf(client);
  } finally {
    client.close();
  }
  return file.accessor;
}

describe("bootgate agent: tokens (real OpenBao)", () => {
  it("should renew every periodic token several times, and replace a revoked one for that service alone", async () => {
    await using stack = await startVaultStack({ config: await agentConfig() });
    const { config } = stack;
    const before = { data: await vaultAnswer(config, "core-data"), meta: await vaultAnswer(config, "core-metadata") };
    const abort = new AbortController();
    const lines: string[] = [];
    const agent = await startAgent(config, { signal: abort.signal, log: (l) => lines.push(l) });
    try {
      // Each renewal stamps renewedAt: count the distinct stamps of core-data's token.
      const stamps = new Set<number>();
      await poll(
        () => {
          const at = agent.state.item("token", "core-data").renewedAt;
          if (at !== undefined) stamps.add(at);
          return stamps.size >= 4 ? true : undefined;
        },
        { timeoutMs: PERIOD_S * 4 * 1000, intervalMs: 100, what: "four renewals of core-data's token" },
      );
      // More than two periods went by: only renewals keep these alive, and they are the boot's own.
      for (const [service, was] of [
        ["core-data", before.data],
        ["core-metadata", before.meta],
        ["bootgate", undefined],
      ] as const) {
        const now = await vaultAnswer(config, service);
        expect(now.status, service).toBe(200);
        if (was) expect(now.accessor, service).toBe(was.accessor);
      }

      const revoked = await revokeTokenOf(config, "core-data");
      expect((await vaultAnswer(config, "core-data")).status).toBe(403);
      await poll(async () => ((await readTokenFile(config.secretsDir, "core-data"))?.accessor !== revoked ? true : undefined), {
        timeoutMs: PERIOD_S * 2 * 1000,
        intervalMs: 100,
        what: "a new token for core-data",
      });
      const replaced = await vaultAnswer(config, "core-data");
      expect(replaced.status).toBe(200);
      expect(replaced.accessor).not.toBe(revoked);
      // The other service kept its token.
      expect(await vaultAnswer(config, "core-metadata")).toEqual({ status: 200, accessor: before.meta.accessor });
      // Same policies, 0600, the registry names the new one and nothing is left to revoke.
      const file = (await readTokenFile(config.secretsDir, "core-data"))!;
      expect(file.policies.sort()).toEqual(["svc-core-data", TOKEN_SELF_POLICY].sort());
      const client = await vaultClientFor(config, file.token);
      try {
        expect((await lookupSelf(client))?.policies.sort()).toEqual(["svc-core-data", TOKEN_SELF_POLICY].sort());
      } finally {
        client.close();
      }
      const { statSync } = await import("node:fs");
      expect(statSync(servicePath(config.secretsDir, "core-data", "token")).mode & 0o777).toBe(0o600);
      expect(lines.join("\n")).not.toContain(file.token);
    } finally {
      abort.abort();
      await agent.stopped;
    }
  }, 120_000);

  it("should leave no half-written token.json after a kill -9 mid-work, and converge after a restart", async () => {
    await using stack = await startVaultStack({ config: await agentConfig() });
    const { config } = stack;
    const random = seededRandom(14);
    const configFile = config.source;
    const spawnAgent = () => {
      const child = spawn(process.execPath, [BOOTGATE_BIN, "agent", "--config", configFile], { stdio: ["ignore", "ignore", "pipe"] });
      let err = "";
      child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on("exit", (code, signal) => r({ code, signal })));
      return { child, exited, stderr: () => err };
    };
    for (let round = 0; round < 3; round++) {
      // A revoked token makes the agent write a new token.json; kill it somewhere in that work.
      const agent = spawnAgent();
      await poll(() => (agent.stderr().includes("keeping") ? true : undefined), { timeoutMs: 20_000, intervalMs: 50, what: "the agent to start" });
      await revokeTokenOf(config, "core-data");
      // The keeper looks at core-data again within half a period: anywhere in that window.
      await sleep(Math.round((random() * PERIOD_S * 1000) / 2));
      agent.child.kill("SIGKILL");
      await agent.exited;
      for (const service of ["core-data", "core-metadata", "bootgate"]) {
        // Whatever the moment, token.json is a whole file.
        const text = await readFile(servicePath(config.secretsDir, service, "token"), "utf8");
        expect(() => JSON.parse(text), `${service} round ${round}`).not.toThrow();
      }
    }
    const agent = spawnAgent();
    try {
      await poll(() => (agent.stderr().includes("keeping") ? true : undefined), { timeoutMs: 20_000, intervalMs: 50, what: "the agent to start" });
      await poll(async () => ((await vaultAnswer(config, "core-data")).status === 200 ? true : undefined), {
        timeoutMs: PERIOD_S * 3 * 1000,
        intervalMs: 200,
        what: "core-data's token to work again",
      });
      expect((await vaultAnswer(config, "core-metadata")).status).toBe(200);
      expect((await vaultAnswer(config, "bootgate")).status).toBe(200);
      // The registry converges: it names core-data's token on disk, and nothing stays pending.
      const file = (await readTokenFile(config.secretsDir, "core-data"))!;
      await poll(
        async () => {
          const client = await loginAsIdentity(config, stack.ikmFile);
          try {
            const registry = await readTokenRegistry(client, config.vault.kvMount);
            return registry.tokens["core-data"]?.accessor === file.accessor && registry.revoke.length === 0 ? true : undefined;
          } finally {
            await revokeSelf(client);
            client.close();
          }
        },
        { timeoutMs: 20_000, intervalMs: 200, what: "the token registry to name core-data's new token" },
      );
    } finally {
      agent.child.kill("SIGTERM");
      expect((await agent.exited).code).toBe(0);
    }
    expect(agent.stderr()).toContain("stopped");
    expect((await readdir(serviceDir(config.secretsDir, "core-data"))).filter((f) => f.startsWith("token.json"))).toEqual(["token.json"]);
  }, 180_000);
});
