// An enrolled remote service is a service like the others (real OpenBao, PostgreSQL, the agent):
// with only what `bootgate enroll` wrote (cert.pem, key.pem, ca.pem) it logs in to Vault by the
// cert auth method (vault.certAuth), reads its own database credentials with its own token, and
// connects to PostgreSQL with verify-full against the enrolled ca.pem. Its token reaches no other
// service's secrets, and pki-init left no folder and no token file for it on the stack's volume.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { startAgent } from "../../../src/agent/run-agent.js";
import { credentialsKey } from "../../../src/db/credentials.js";
import { parseCredentials, serviceClientConfig } from "../../../src/db/service-connection.js";
import { rootFingerprint } from "../../../src/enroll/ca-bundle.js";
import { freePort } from "../../../src/servers/free-port.js";
import { caBundlePath, serviceDir } from "../../../src/volume/layout.js";
import { runCli } from "../../support/cli.js";
import { type DbServiceInput, startDbStack } from "../../support/db-stack.js";
import { tempDir } from "../../support/tmp-dir.js";
import { vaultRequest as httpsVault, type VaultTls } from "../../support/vault-https.js";

const vaultRequest = (address: string, method: string, path: string, tls: VaultTls, body?: unknown, token?: string) =>
  httpsVault({ address, servername: "vault" }, method, path, tls, body, token);

describe("an enrolled remote service uses Vault and PostgreSQL with its own identity", () => {
  it("should log in to Vault with its enrolled leaf, read only its own credentials and connect verify-full", async () => {
    const enrollPort = await freePort();
    await using stack = await startDbStack({
      services: [{ name: "edge-db", remote: true, database: "edgedb" } as DbServiceInput, { name: "core-data", database: "coredata" }],
      config: {
        vault: { certAuth: true },
        agent: { listen: `127.0.0.1:${await freePort()}`, enroll: { listen: `127.0.0.1:${enrollPort}` } },
      },
    });
    const { config } = stack;
    const seed = await stack.runDbSeed();
    expect(seed.failures.map((f) => f.message)).toEqual([]);
    // Nothing of the remote service on this host's volume: no folder, so no key and no token file.
    expect(existsSync(serviceDir(config.secretsDir, "edge-db"))).toBe(false);

    const abort = new AbortController();
    const lines: string[] = [];
    const agent = await startAgent(config, { signal: abort.signal, log: (l) => lines.push(l) });
    try {
      await using work = await tempDir("bootgate-enrollee-");
      const out = join(work.path, "edge-db");
      const made = await runCli(["token", "--enroll", "edge-db", "--config", stack.configFile]);
      expect(made.code).toBe(0);
      const fingerprint = rootFingerprint(await readFile(caBundlePath(config.secretsDir), "utf8"));
      const enrolled = await runCli([
        "enroll",
        "--server",
        `https://127.0.0.1:${enrollPort}`,
        "--service",
        "edge-db",
        "--out",
        out,
        "--fingerprint",
        fingerprint,
        "--token",
        made.stdout.trim(),
      ]);
      expect(enrolled.stderr).toMatch(/enrolled edge-db/);
      expect(enrolled.code).toBe(0);
      const tls = {
        ca: await readFile(join(out, "ca.pem"), "utf8"),
        cert: await readFile(join(out, "cert.pem"), "utf8"),
        key: await readFile(join(out, "key.pem"), "utf8"),
      };

      // Vault: the enrolled leaf is the login; the token carries exactly the service's policies.
      const login = await vaultRequest(config.vault.address, "POST", "/v1/auth/cert/login", tls, { name: "edge-db" });
      expect(login.status, JSON.stringify(login.body.errors)).toBe(200);
      expect([...login.body.auth!.policies].sort()).toEqual(["bootgate-token-self", "svc-edge-db"]);
      const token = login.body.auth!.client_token;
      const mount = config.vault.kvMount;
      const own = await vaultRequest(config.vault.address, "GET", `/v1/${mount}/data/${credentialsKey("edge-db")}`, { ca: tls.ca }, undefined, token);
      expect(own.status).toBe(200);
      const other = await vaultRequest(config.vault.address, "GET", `/v1/${mount}/data/${credentialsKey("core-data")}`, { ca: tls.ca }, undefined, token);
      expect(other.status).toBe(403);

      // PostgreSQL: verify-full against the enrolled ca.pem, as the service's own role.
      const credentials = parseCredentials(own.body.data?.data);
      if (typeof credentials === "string") throw new Error(credentials);
      const client = new pg.Client(
        serviceClientConfig(credentials, tls.ca, credentials.clientCert ? { cert: Buffer.from(tls.cert), key: Buffer.from(tls.key) } : undefined),
      );
      client.on("error", () => {});
      await client.connect();
      try {
        const row = (
          await client.query<{ user: string; db: string; ssl: boolean }>(
            "select current_user as user, current_database() as db, ssl from pg_stat_ssl where pid = pg_backend_pid()",
          )
        ).rows[0]!;
        expect(row).toEqual({ user: credentials.username, db: "edgedb", ssl: true });
      } finally {
        await client.end();
      }
      expect(lines.join("\n")).not.toContain(made.stdout.trim());
    } finally {
      abort.abort();
      await agent.stopped;
    }
  }, 120_000);
});
