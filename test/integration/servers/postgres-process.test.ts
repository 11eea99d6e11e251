// The PostgreSQL launcher on its own: a real initdb + postgres, TLS-only, as the Debian
// `postgres` user when run as root.
import { chmod, chown, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { isRoot } from "../../../src/fs/atomic-write.js";
import { freePort } from "../../../src/servers/free-port.js";
import { findPostgresBinDir, startPostgres } from "../../../src/servers/postgres-process.js";
import { serverUserFor } from "../../../src/servers/server-user.js";
import { opensslPki } from "../../support/db-openssl-pki.js";
import { tempDir } from "../../support/tmp-dir.js";
import { caBundlePath, servicePath } from "../../../src/volume/layout.js";

async function setUp(root: string) {
  await chmod(root, 0o711);
  const user = isRoot() ? await serverUserFor("postgres") : undefined;
  const secrets = join(root, "secrets");
  await opensslPki(secrets, [{ name: "postgres", ...(user ? { uid: user.uid, gid: user.gid } : {}) }], root);
  await chmod(secrets, 0o711);
  const passwordFile = join(root, "admin-password");
  await writeFile(passwordFile, "admin-password-for-the-launcher-test\n", { mode: 0o600 });
  return { secrets, passwordFile, user, ca: await readFile(caBundlePath(secrets)) };
}

const adminClient = (port: number, ca: Buffer) =>
  new pg.Client({
    host: "127.0.0.1",
    port,
    user: "postgres",
    password: "admin-password-for-the-launcher-test",
    database: "postgres",
    ssl: { ca, servername: "postgres" },
    connectionTimeoutMillis: 3_000,
  });

describe("startPostgres", () => {
  it("should serve only TLS with scram-sha-256, with no Unix socket, and come back after stop", async () => {
    await using root = await tempDir("bootgate-pg-");
    const { secrets, passwordFile, ca } = await setUp(root.path);
    const port = await freePort();
    await using server = await startPostgres({
      dir: join(root.path, "pg"),
      port,
      tlsDir: join(secrets, "postgres"),
      adminPasswordFile: passwordFile,
      settings: { fsync: "off" },
    });
    const c = adminClient(port, ca);
    await c.connect();
    const rules = await c.query<{ type: string; auth_method: string }>("SELECT type, auth_method FROM pg_hba_file_rules");
    expect(rules.rows.length).toBeGreaterThan(0);
    expect(rules.rows.every((r) => r.type === "hostssl" && r.auth_method === "scram-sha-256")).toBe(true);
    const settings = await c.query<{ name: string; setting: string }>(
      "SELECT name, setting FROM pg_settings WHERE name IN ('unix_socket_directories', 'listen_addresses', 'ssl') ORDER BY name",
    );
    expect(settings.rows).toEqual([
      { name: "listen_addresses", setting: "127.0.0.1" },
      { name: "ssl", setting: "on" },
      { name: "unix_socket_directories", setting: "" },
    ]);
    await c.end();

    await server.stop();
    const down = adminClient(port, ca);
    await expect(down.connect()).rejects.toThrow(/ECONNREFUSED/);
    await server.start();
    const again = adminClient(port, ca);
    await again.connect();
    await again.end();
  });

  it("should refuse a server key that others can read, saying how to fix it", async () => {
    await using root = await tempDir("bootgate-pg-");
    const { secrets, passwordFile } = await setUp(root.path);
    const key = servicePath(secrets, "postgres", "key");
    await chmod(key, 0o644);
    if (isRoot()) await chown(key, 0, 0);
    await expect(
      startPostgres({ dir: join(root.path, "pg"), port: await freePort(), tlsDir: join(secrets, "postgres"), adminPasswordFile: passwordFile }),
    ).rejects.toThrow(/needs 0600 owned by the server user .*give the `postgres` service uid\/gid/);
  });

  it("should say how to install PostgreSQL when its binaries are not where it looks", async () => {
    await expect(findPostgresBinDir("/nonexistent/bin")).rejects.toThrow(/run `make tools`/);
    expect(await findPostgresBinDir()).toMatch(/bin$/);
  });
});
