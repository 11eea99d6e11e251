// The derived PostgreSQL admin password of `up --local` and the compose init container: written to
// the secrets volume each boot; in a service's own folder it belongs to that service (compose's
// postgres container runs initdb as its own user), elsewhere to bootgate alone.
import { stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../../src/config/load.js";
import { writeDerivedAdminPassword } from "../../../src/local/local-secrets.js";
import { tempDir } from "../../support/tmp-dir.js";

const asRoot = process.getuid?.() === 0;

async function configIn(dir: string, passwordFile: string) {
  await writeFile(join(dir, "ikm.hex"), "11".repeat(32) + "\n", { mode: 0o600 });
  const text = `secretsDir: ${dir}/secrets
stateDir: ${dir}/state
services:
  - { name: postgres, uid: 4321, gid: 4322 }
vault: { ikm: { file: ${dir}/ikm.hex } }
postgres: { admin: { passwordFile: ${passwordFile} } }
`;
  return parseConfigText(text, { source: join(dir, "bootgate.yaml"), baseDir: dir, env: {} });
}

describe("the derived PostgreSQL admin password", () => {
  it("should belong to the service whose folder holds it, 0600 in a 0700 folder", async () => {
    await using dir = await tempDir();
    const file = join(dir.path, "secrets/postgres/admin.password");
    const written = await writeDerivedAdminPassword(await configIn(dir.path, file));
    expect(written).toBe(file);
    const info = await stat(file);
    expect(info.mode & 0o777).toBe(0o600);
    expect((await stat(join(dir.path, "secrets/postgres"))).mode & 0o777).toBe(0o700);
    if (asRoot) expect([info.uid, info.gid]).toEqual([4321, 4322]);
    else expect(info.uid).toBe(process.getuid?.());
  });

  it("should stay bootgate's own (the process's user) in bootgate's folder, and be the same password for the same IKM", async () => {
    await using dir = await tempDir();
    const a = join(dir.path, "secrets/bootgate/pg.password");
    const b = join(dir.path, "secrets/postgres/admin.password");
    await writeDerivedAdminPassword(await configIn(dir.path, a));
    await writeDerivedAdminPassword(await configIn(dir.path, b));
    expect((await stat(a)).uid).toBe(process.getuid?.());
    const { readFile } = await import("node:fs/promises");
    expect(await readFile(a, "utf8")).toBe(await readFile(b, "utf8"));
    expect((await readFile(a, "utf8")).length).toBeGreaterThanOrEqual(40);
  });
});
