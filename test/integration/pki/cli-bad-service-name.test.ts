// A service name that is not a DNS label, through the built CLI as an operator meets it: exit 2
// naming the file and the field, before any boot starts — no folder, no certificate, no gate, no
// state written, and an earlier boot's volume byte-identical. The config is read before a stage
// runs, so Vault and PostgreSQL are never reached (a Vault address that answers nothing shows it).
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runBuiltCli, writePkiTestConfig } from "../../support/pki.js";
import { tempDir } from "../../support/tmp-dir.js";

const entries = (dir: string) => readdir(dir).catch(() => [] as string[]);

async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])) {
    if (e.isFile()) out[join(e.parentPath, e.name)] = (await readFile(join(e.parentPath, e.name))).toString("base64");
  }
  return out;
}

const BAD_NAMES: [string, string][] = [
  ["an uppercase letter and an underscore", "Core_Data"],
  ["a dot", "core.data"],
  ["a path out of the volume", "../etc"],
  ["a leading dash", "-core"],
];

describe("bootgate with a service name that is not a DNS label", () => {
  for (const [what, name] of BAD_NAMES) {
    it(`should exit 2 on ${what} (\`${name}\`), naming the file and services.1.name, with nothing written`, async () => {
      await using dir = await tempDir();
      const config = await writePkiTestConfig(dir.path, {
        services: [{ name: "vault" }, { name }],
        vault: { address: "https://127.0.0.1:1", ikm: { file: join(dir.path, "ikm") } },
      });
      for (const args of [["run"], ["run", "--only", "pki-init"], ["revoke", "vault"], ["ca", "csr", "--out", join(dir.path, "x.csr")]]) {
        const run = await runBuiltCli([...args, "--config", config]);
        expect(run.exitCode, args.join(" ")).toBe(2);
        expect(run.stderr).toContain(config);
        expect(run.stderr).toMatch(/services\.1\.name: expected a DNS label/);
      }
      expect(await entries(join(dir.path, "secrets"))).toEqual([]);
      expect(await entries(join(dir.path, "state"))).toEqual([]);
    });
  }

  it("should leave an earlier boot's volume byte-identical when a later config has a bad name", async () => {
    await using dir = await tempDir();
    const good = await writePkiTestConfig(dir.path, { services: [{ name: "core-data" }], pki: { issuer: "local" } });
    const first = await runBuiltCli(["run", "--only", "pki-init", "--config", good]);
    expect(first.exitCode, first.stderr).toBe(0);
    const before = await tree(join(dir.path, "secrets"));
    expect(Object.keys(before).length).toBeGreaterThan(0);
    const bad = await writePkiTestConfig(dir.path, { services: [{ name: "core-data" }, { name: "Core_Data" }], pki: { issuer: "local" } });
    const run = await runBuiltCli(["run", "--only", "pki-init", "--config", bad]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/services\.1\.name: expected a DNS label/);
    expect(await tree(join(dir.path, "secrets"))).toEqual(before);
  });
});
