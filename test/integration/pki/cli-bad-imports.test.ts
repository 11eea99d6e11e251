// Through the built CLI, as an operator meets it: `bootgate run --only pki-init` on bad
// imported material exits 2 with the file named, opens no gate and writes no certificate.
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runBuiltCli, serialsOf, writePkiTestConfig } from "../../support/pki.js";
import { BAD_IMPORTS } from "../../support/pki-bad-imports.js";
import { importFilesOf, mintImportSet, writeImportDir } from "../../support/pki-fixtures.js";
import { tempDir } from "../../support/tmp-dir.js";
import { caBundlePath } from "../../../src/volume/layout.js";

const entries = (dir: string) => readdir(dir).catch(() => [] as string[]);

describe("bootgate run --only pki-init with bad imported material", () => {
  for (const bad of BAD_IMPORTS) {
    it(`should exit 2 on ${bad.name}, naming ${bad.file}, with no certificate written and no gate opened`, async () => {
      await using dir = await tempDir();
      const config = await writePkiTestConfig(dir.path, await bad.build(dir.path));
      const run = await runBuiltCli(["run", "--only", "pki-init", "--config", config]);
      expect(run.exitCode).toBe(2);
      expect(run.stderr).toContain(join(dir.path, bad.file));
      expect(run.stderr).toMatch(bad.says);
      expect(run.stderr).toContain("pki-init");
      // Imports are checked before the run starts a boot: nothing at all is written.
      expect(await entries(join(dir.path, "secrets"))).toEqual([]);
    });
  }

  it("should leave an earlier boot's volume untouched when the import turns bad", async () => {
    await using dir = await tempDir();
    const set = await mintImportSet();
    const importDir = await writeImportDir(join(dir.path, "import"), importFilesOf(set));
    const services = [{ name: "vault" }, { name: "core-data" }];
    const config = await writePkiTestConfig(dir.path, { services, pki: { ca: { import: importDir } } });
    const good = await runBuiltCli(["run", "--only", "pki-init", "--config", config]);
    expect(good.exitCode, good.stderr).toBe(0);
    const secrets = join(dir.path, "secrets");
    const before = { serials: await serialsOf(secrets, ["vault", "core-data"]), ca: await readFile(caBundlePath(secrets), "utf8") };

    await writeImportDir(importDir, { intermediateKey: (await mintImportSet()).intermediate.keyPem });
    const bad = await runBuiltCli(["run", "--only", "pki-init", "--config", config]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain(join(importDir, "intermediate-key.pem"));
    expect(await serialsOf(secrets, ["vault", "core-data"])).toEqual(before.serials);
    expect(await readFile(caBundlePath(secrets), "utf8")).toBe(before.ca);
  });
});
