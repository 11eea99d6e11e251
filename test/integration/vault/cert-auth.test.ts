// Vault's TLS certificate auth method with a real OpenBao (`vault.certAuth: true`): a service
// holding only its cert.pem and key.pem logs in at auth/cert/login and gets exactly its own
// policies; another service's certificate is refused for that role; after a reboot (an empty
// tmpfs, a new CA) the role trusts the new CA and no longer the old one.
import { readFile, rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { servicePath } from "../../../src/volume/layout.js";
import { vaultRequest as httpsVault, type VaultTls } from "../../support/vault-https.js";
import { startVaultStack, type VaultStack } from "../../support/vault-stack.js";

let stack: VaultStack;

beforeAll(async () => {
  stack = await startVaultStack({ config: { vault: { certAuth: true }, services: [{ name: "web-app" }, { name: "core-data" }] } });
});
afterAll(async () => {
  await stack?.[Symbol.asyncDispose]();
});

/** A client of Vault with no token: the stack's CA, Vault verified by name, and the given certificate. */
const vaultRequest = (method: string, path: string, tls: VaultTls, body?: unknown, token?: string) =>
  httpsVault({ address: stack.config.vault.address, servername: stack.config.vault.service }, method, path, tls, body, token);

async function filesOf(service: string) {
  const dir = stack.config.secretsDir;
  return {
    cert: await readFile(servicePath(dir, service, "cert")),
    key: await readFile(servicePath(dir, service, "key")),
    ca: await readFile(servicePath(dir, service, "ca")),
  };
}

const login = async (role: string, tls: Awaited<ReturnType<typeof filesOf>>) => vaultRequest("POST", "/v1/auth/cert/login", tls, { name: role });

describe("Vault's cert auth method", () => {
  it("should log a service in with only its certificate and give it exactly its own policies", async () => {
    const answer = await login("web-app", await filesOf("web-app"));
    expect(answer.status, JSON.stringify(answer.body.errors)).toBe(200);
    expect([...answer.body.auth!.policies].sort()).toEqual(["bootgate-token-self", "svc-web-app"]);
    // The token reaches the service's own folder and not another's.
    const token = answer.body.auth!.client_token;
    const tls = { ca: (await filesOf("web-app")).ca };
    const mount = stack.config.vault.kvMount;
    expect((await vaultRequest("POST", `/v1/${mount}/data/web-app/note`, tls, { data: { v: "1" } }, token)).status).toBe(200);
    expect((await vaultRequest("GET", `/v1/${mount}/data/core-data/database`, tls, undefined, token)).status).toBe(403);
  });

  it("should refuse another service's certificate for this role, and a login without a certificate", async () => {
    const other = await login("web-app", await filesOf("core-data"));
    expect(other.status).toBe(400);
    expect(other.body.auth).toBeUndefined();
    const none = await login("web-app", { ca: (await filesOf("web-app")).ca } as Awaited<ReturnType<typeof filesOf>>);
    expect(none.status).toBe(400);
    expect(none.body.auth).toBeUndefined();
  });

  it("should trust the new CA after a reboot, and no longer the old one", async () => {
    const before = await filesOf("web-app");
    await rm(stack.config.secretsDir, { recursive: true, force: true });
    expect((await stack.runPki()).ok).toBe(true);
    await stack.restartBao();
    const run = await stack.runSetup();
    expect(run.failures.map((f) => f.message)).toEqual([]);
    const after = await filesOf("web-app");
    expect(after.ca.equals(before.ca)).toBe(false);
    expect((await login("web-app", after)).status).toBe(200);
    // The old certificate, presented to a Vault the old CA no longer vouches for.
    expect((await login("web-app", { ...before, ca: after.ca })).status).toBe(400);
  });
});
