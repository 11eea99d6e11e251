import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../support/cli.js";
import { tempDir } from "../../support/tmp-dir.js";

describe("bootgate snapshot: the command line", () => {
  it.each([[["snapshot"]], [["snapshot", "list"]], [["snapshot", "save", "extra"]], [["snapshot", "restore"]], [["snapshot", "restore", "a", "--out", "b"]]])(
    "should exit 2 with the usage for %j",
    async (argv) => {
      const { code, stderr } = await runCli(argv);
      expect(code).toBe(2);
      expect(stderr).toContain("usage: bootgate snapshot save [--out FILE]");
    },
  );

  it("should refuse --out on the secrets volume with exit 2, asking Vault nothing and writing nothing", async () => {
    await using dir = await tempDir();
    const file = join(dir.path, "bootgate.yaml");
    await writeFile(file, "secretsDir: ./secrets\nstateDir: ./state\nservices: [{ name: vault }]\n");
    const { code, stderr } = await runCli(["snapshot", "save", "--out", join(dir.path, "secrets", "s.bgsnap"), "--config", file]);
    expect(code).toBe(2);
    expect(stderr).toContain("outside the secrets volume");
    expect(await readdir(dir.path)).toEqual(["bootgate.yaml"]);
  });

  it("should exit 2 naming a snapshot file that is not there", async () => {
    await using dir = await tempDir();
    const file = join(dir.path, "bootgate.yaml");
    await writeFile(file, "secretsDir: ./secrets\nstateDir: ./state\nservices: [{ name: vault }]\n");
    const { code, stderr } = await runCli(["snapshot", "restore", join(dir.path, "nope.bgsnap"), "--config", file]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${join(dir.path, "nope.bgsnap")} (ENOENT)`);
  });
});
