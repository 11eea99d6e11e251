// The agent keeps the gateway's trust in Vault, against a real OpenBao (Vault's PKI engine as the
// issuer) and a real nginx: it renews the gateway's certificate through the gateway's PKI role
// and rotates the JWT signing key, applying both through nginx's reload path, while a request
// loop through the gateway (TLS verified against ca/ca.pem by the name `gateway`) sees no failure.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAgent, type RunningAgent } from "../../../src/agent/run-agent.js";
import { signJwt } from "../../../src/gateway/jwt.js";
import { readJwtKeyRing } from "../../../src/gateway/jwt-key.js";
import { openKvClient } from "../../../src/vault/open-kv-client.js";
import { poll } from "../../../src/util/poll.js";
import { runCli } from "../../support/cli.js";
import { gatewayGet } from "../../support/gateway-client.js";
import { readAsBootgate } from "../../support/vault-inspect.js";
import { ISSUER, startVaultPkiGatewayStack, type VaultPkiGatewayStack } from "../../support/vault-pki-gateway-stack.js";

const ROTATE_S = 8;

describe("bootgate agent: the gateway's certificate and JWT key (real OpenBao and nginx)", () => {
  let stack: VaultPkiGatewayStack;
  let agent: RunningAgent;
  const abort = new AbortController();
  const lines: string[] = [];
  const loop = { stop: false, ok: 0, failures: [] as string[], fingerprints: new Set<string>(), done: Promise.resolve() };

  const get = (token?: string) => gatewayGet(stack.gatewayPort, "/api/core-data/x", { caPem: stack.caPem, ...(token !== undefined ? { token } : {}) });
  const keyId = async () => String((await readAsBootgate(stack.config, "gateway/jwt"))?.key_id);
  const cliToken = async () => {
    const cli = await runCli(["token", "alice", "--ttl", "10m", "--config", stack.configFile]);
    expect(cli.code, cli.stderr).toBe(0);
    return cli.stdout.trim();
  };

  beforeAll(async () => {
    // Every leaf falls due 15 s after it was issued; the JWT key rotates every 8 s.
    stack = await startVaultPkiGatewayStack({ pki: { validity: "10m", renewBefore: "585s" }, jwt: { rotate: `${ROTATE_S}s` } });
    agent = await startAgent(stack.config, { signal: abort.signal, log: (l) => lines.push(l) });
    const kv = await openKvClient(stack.config, "bootgate");
    // Signed with the key before the newest when there is one: nginx holds it whether or not it
    // has taken the newest yet, so a 401 here is a real failure, not the loop's own race.
    loop.done = (async () => {
      while (!loop.stop) {
        try {
          const ring = (await readJwtKeyRing(kv, "gateway"))!;
          const res = await get(signJwt(ring.previous ?? ring.key, { sub: "loop", iss: ISSUER, ttlMs: 60_000 }));
          if (res.status === 200) loop.ok++;
          else loop.failures.push(`status ${res.status}`);
          loop.fingerprints.add(res.fingerprint);
        } catch (error) {
          loop.failures.push((error as Error).message);
        }
      }
      kv.close();
    })();
  }, 120_000);

  afterAll(async () => {
    loop.stop = true;
    await loop.done;
    abort.abort();
    await agent?.stopped;
    await stack?.[Symbol.asyncDispose]();
  });

  it("should keep a token signed before a rotation valid after it, refuse one whose key is two rotations old, and sign new ones with the newest key", async () => {
    const k0 = await keyId();
    const t0 = await cliToken();
    expect((await get(t0)).status).toBe(200);

    await poll(async () => ((await keyId()) !== k0 ? true : undefined), { timeoutMs: 30_000, intervalMs: 200, what: "the first rotation" });
    const k1 = await keyId();
    const t1 = await cliToken();
    expect(JSON.parse(Buffer.from(t1.split(".")[0]!, "base64url").toString()).kid).toBe(k1);
    await poll(async () => ((await get(t1)).status === 200 ? true : undefined), {
      timeoutMs: 15_000,
      intervalMs: 100,
      what: "nginx to take the key of the first rotation",
    });
    expect((await get(t0)).status).toBe(200);

    await poll(async () => ((await keyId()) !== k1 ? true : undefined), { timeoutMs: 30_000, intervalMs: 200, what: "the second rotation" });
    const t2 = await cliToken();
    await poll(async () => ((await get(t2)).status === 200 ? true : undefined), {
      timeoutMs: 15_000,
      intervalMs: 100,
      what: "nginx to take the key of the second rotation",
    });
    // nginx's reload is graceful: a worker of the old config may answer a little longer.
    await poll(async () => ((await get(t0)).status === 401 ? true : undefined), {
      timeoutMs: 15_000,
      intervalMs: 100,
      what: "a token of the key two rotations old to be refused",
    });
    expect((await get(t1)).status).toBe(200);
    expect(lines.some((l) => /JWT signing key of gateway: rotated/.test(l))).toBe(true);
  }, 90_000);

  it("should renew the gateway's certificate in Vault and have nginx serve the newest with no failed request", async () => {
    const first = (await readAsBootgate(stack.config, "gateway/tls"))?.fingerprint_sha256;
    await poll(async () => (lines.filter((l) => /certificate of gateway \(in Vault\): renewed/.test(l)).length >= 2 ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 500,
      what: "two renewals of the gateway's certificate",
    });
    // Let the loop run through the last apply, then stop the agent so nothing moves.
    abort.abort();
    await agent.stopped;
    loop.stop = true;
    await loop.done;

    const record = await readAsBootgate(stack.config, "gateway/tls");
    const client = await readAsBootgate(stack.config, "gateway/client-tls");
    expect(record?.fingerprint_sha256).not.toBe(first);
    expect(client?.fingerprint_sha256).toBe(record?.fingerprint_sha256);
    expect(loop.failures).toEqual([]);
    expect(loop.ok).toBeGreaterThan(50);
    // The boot's certificate and at least two renewed ones were served to the loop.
    expect(loop.fingerprints.size).toBeGreaterThanOrEqual(3);
    const served = await get(await cliToken());
    expect(served.status).toBe(200);
    expect(served.fingerprint).toBe(record?.fingerprint_sha256);
    expect(String(record?.private_key)).toMatch(/BEGIN PRIVATE KEY/);
    expect(lines.join("\n")).not.toContain(String(record?.private_key).split("\n")[1]);
  }, 90_000);
});
