// PostgreSQL client certificates against a real PostgreSQL: a service with
// `database.clientCert` logs in only with its password AND its own certificate (pg_hba
// `clientcert=verify-full`, CN = role); another service's certificate, or none, is refused.
import { readFile } from "node:fs/promises";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCredentials, readServiceCertPair, serviceClientConfig } from "../../../src/db/service-connection.js";
import type { DbCredentials } from "../../../src/db/credentials.js";
import { servicePath } from "../../../src/volume/layout.js";
import { type DbStack, startDbStack } from "../../support/db-stack.js";

let stack: DbStack;
let credentials: DbCredentials;
let ca: Buffer;

beforeAll(async () => {
  stack = await startDbStack({
    services: [
      { name: "web-app", database: { name: "webapp", clientCert: true } },
      { name: "core-data", database: "coredata" },
    ],
  });
  const run = await stack.runDbSeed();
  expect(run.failures.map((f) => f.message)).toEqual([]);
  const parsed = parseCredentials(await stack.credentialsOf("web-app"));
  if (typeof parsed === "string") throw new Error(parsed);
  credentials = parsed;
  ca = await readFile(servicePath(stack.config.secretsDir, "web-app", "ca"));
});
afterAll(async () => {
  await stack?.[Symbol.asyncDispose]();
});

async function login(cert?: { cert: Buffer | string; key: Buffer | string }): Promise<string> {
  const client = new pg.Client(serviceClientConfig(credentials, ca, cert));
  client.on("error", () => {});
  try {
    await client.connect();
    return (await client.query<{ u: string }>("SELECT current_user AS u")).rows[0]!.u;
  } finally {
    await client.end().catch(() => {});
  }
}

describe("PostgreSQL client certificates", () => {
  it("should tell the service in Vault that its certificate is wanted, with the role named as the certificate", () => {
    expect(credentials).toMatchObject({ username: "web-app", clientCert: true, sslmode: "verify-full" });
  });

  it("should let the service in with its password and its own certificate", async () => {
    expect(await login(await readServiceCertPair(stack.config.secretsDir, "web-app"))).toBe("web-app");
  });

  it("should refuse the password without a certificate", async () => {
    await expect(login()).rejects.toThrow(/connection requires a valid client certificate/);
  });

  it("should refuse the password with another service's certificate (core-data's, same CA)", async () => {
    await expect(login(await readServiceCertPair(stack.config.secretsDir, "core-data"))).rejects.toThrow(/authentication failed for user "web-app"/);
    // PostgreSQL tells the client only that the login failed; its log says why.
    expect(stack.pg.log()).toContain('certificate validation (clientcert=verify-full) failed for user "web-app": CN mismatch');
  });

  it("should leave a service without clientCert on its password alone", async () => {
    const client = await stack.connectAs("core-data");
    expect((await client.query<{ u: string }>("SELECT current_user AS u")).rows[0]!.u).toBe("core_data");
    expect(await stack.credentialsOf("core-data")).not.toHaveProperty("clientCert");
  });
});
