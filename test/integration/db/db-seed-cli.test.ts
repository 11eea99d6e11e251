// db-seed as a real `bootgate run --only db-seed` process: killed between the Vault write and
// the ALTER ROLE (the crash test hook), then rerun; and refused config before any SQL.
import { readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { parse, stringify } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CRASH_ENV } from "../../../src/db/crash-hook.js";
import { bootgateDir } from "../../../src/volume/layout.js";
import { type DbStack, startDbStack } from "../../support/db-stack.js";

const ENTRY = resolve(import.meta.dirname, "../../../src/cli/entry.ts");

/** The CLI from source (tsx), so the test does not depend on a fresh dist/. */
const bootgate = (args: string[], env: Record<string, string> = {}) =>
  execa(process.execPath, ["--import", "tsx", ENTRY, ...args], {
    reject: false,
    stdin: "ignore",
    env: { BOOTGATE_CONFIG: "", [CRASH_ENV]: "", ...env },
    cwd: resolve(import.meta.dirname, "../../.."),
  });

let stack: DbStack;

beforeAll(async () => {
  stack = await startDbStack({
    services: [
      { name: "orders", database: "orders" },
      { name: "billing", database: "billing" },
    ],
  });
});
afterAll(async () => {
  await stack?.[Symbol.asyncDispose]();
});

async function roleCount(): Promise<{ roles: number; databases: number }> {
  const admin = await stack.admin();
  const r = await admin.query<{ roles: number; databases: number }>(
    "SELECT (SELECT count(*)::int FROM pg_roles) AS roles, (SELECT count(*)::int FROM pg_database) AS databases",
  );
  await admin.end();
  return r.rows[0]!;
}

describe("bootgate run --only db-seed", () => {
  it("should let a service log in after a crash between the Vault write and the role, once rerun", async () => {
    const crashed = await bootgate(["run", "--only", "db-seed", "--config", stack.configFile], { [CRASH_ENV]: "vault-write" });
    expect(crashed.signal).toBe("SIGKILL");
    // Vault got a new password (two services run at once, so maybe both); PostgreSQL never heard of them.
    const services = ["orders", "billing"];
    const inVault = await Promise.all(services.map((s) => stack.credentialsOf(s)));
    expect(inVault.filter((c) => c !== undefined).length).toBeGreaterThanOrEqual(1);
    const admin = await stack.admin();
    const roles = await admin.query("SELECT rolname FROM pg_roles WHERE rolname IN ('orders', 'billing')");
    await admin.end();
    expect(roles.rows).toEqual([]);

    const rerun = await bootgate(["run", "--only", "db-seed", "--config", stack.configFile]);
    expect(rerun.stderr).not.toMatch(/failed/);
    expect(rerun.exitCode).toBe(0);
    for (const s of services) {
      const client = await stack.connectAs(s);
      await client.end();
    }
    // The password that survived the crash is the one in use.
    const first = inVault.find((c) => c !== undefined)!;
    const now = await stack.credentialsOf(String(first.username));
    expect(now!.password).toBe(first.password);
  });

  it("should let a service log in after a crash in the middle of a rotation, once rerun", async () => {
    const doc = parse(await readFile(stack.configFile, "utf8")) as { postgres: Record<string, unknown> };
    const rotateFile = join(stack.vault.dir, "rotate.yaml");
    await writeFile(rotateFile, stringify({ ...doc, postgres: { ...doc.postgres, rotate: true, concurrency: 1 } }));
    const before = await stack.credentialsOf("orders");
    const crashed = await bootgate(["run", "--only", "db-seed", "--config", rotateFile], { [CRASH_ENV]: "vault-write" });
    expect(crashed.signal).toBe("SIGKILL");
    const after = await stack.credentialsOf("orders");
    expect(after!.password).not.toBe(before!.password);
    // PostgreSQL still has the old password: Vault is ahead.
    await expect(stack.connectAs("orders")).rejects.toThrow(/password authentication failed/);

    const rerun = await bootgate(["run", "--only", "db-seed", "--config", stack.configFile]);
    expect(rerun.exitCode).toBe(0);
    const client = await stack.connectAs("orders");
    await client.end();
    expect((await stack.credentialsOf("orders"))!.password).toBe(after!.password);
  });

  it("should refuse a service or database name that is not a valid identifier before any SQL runs", async () => {
    const before = await roleCount();
    const doc = parse(await readFile(stack.configFile, "utf8")) as { services: unknown[] };
    const badFile = join(stack.vault.dir, "bad.yaml");
    await writeFile(
      badFile,
      stringify({ ...doc, services: [...doc.services, { name: "9lives", database: "ninelives" }, { name: "pg-shadow", database: "shadow" }] }),
    );
    const bad = await bootgate(["run", "--only", "db-seed", "--config", badFile]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain(badFile);
    expect(bad.stderr).toMatch(/services\.\d+\.name: .*`9lives` is not an SQL identifier/);
    expect(bad.stderr).toMatch(/services\.\d+\.name: .*`pg_shadow` starts with `pg_`/);

    const badDbFile = join(stack.vault.dir, "bad-db.yaml");
    await writeFile(badDbFile, stringify({ ...doc, services: [...doc.services, { name: "quoted", database: 'x"; DROP ROLE orders; --' }] }));
    const badDb = await bootgate(["run", "--only", "db-seed", "--config", badDbFile]);
    expect(badDb.exitCode).toBe(2);
    expect(badDb.stderr).toMatch(/services\.\d+\.database: expected an SQL identifier/);
    expect(await roleCount()).toEqual(before);
  });

  it("should fail with exit 1, naming the stage and not the password, when the admin password is wrong", async () => {
    const doc = parse(await readFile(stack.configFile, "utf8")) as { postgres: { admin: Record<string, unknown> } };
    const wrongFile = join(bootgateDir(stack.config.secretsDir), "wrong-admin.password");
    await writeFile(wrongFile, "wrong-admin-password-value\n", { mode: 0o600 });
    const file = join(stack.vault.dir, "wrong-admin.yaml");
    await writeFile(file, stringify({ ...doc, postgres: { ...doc.postgres, admin: { ...doc.postgres.admin, passwordFile: wrongFile } } }));
    const result = await bootgate(["run", "--only", "db-seed", "--config", file]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/stage db-seed failed: PostgreSQL at 127\.0\.0\.1:\d+: connect as the admin failed: 28P01: password authentication failed/);
    expect(result.stderr + result.stdout).not.toContain("wrong-admin-password-value");
  });

  it("should fail with exit 2 naming postgres.admin.passwordFile when the file is missing", async () => {
    const doc = parse(await readFile(stack.configFile, "utf8")) as { postgres: { admin: Record<string, unknown> } };
    const file = join(stack.vault.dir, "no-admin.yaml");
    await writeFile(file, stringify({ ...doc, postgres: { ...doc.postgres, admin: { ...doc.postgres.admin, passwordFile: "./nowhere/admin.password" } } }));
    const result = await bootgate(["run", "--only", "db-seed", "--config", file]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(file);
    expect(result.stderr).toMatch(/postgres\.admin\.passwordFile: expected a readable file at .*nowhere\/admin\.password \(ENOENT\)/);
  });
});
