import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../../src/config/load.js";
import { ConfigError } from "../../../src/errors.js";
import { loadIkm, readIkmFile, runIkmHook } from "../../../src/vault/ikm.js";
import { tempDir } from "../../support/tmp-dir.js";

const hex = randomBytes(32).toString("hex");

describe("input key material", () => {
  it("should read hex key material from a file", async () => {
    await using dir = await tempDir();
    await writeFile(join(dir.path, "ikm"), hex + "\n");
    expect((await readIkmFile(join(dir.path, "ikm"), "cfg.yaml")).toString("hex")).toBe(hex);
  });

  it("should refuse a file that is not hex, naming the field and never quoting the content", async () => {
    await using dir = await tempDir();
    const secretish = "correct horse battery staple " + hex;
    await writeFile(join(dir.path, "ikm"), secretish);
    const error = await readIkmFile(join(dir.path, "ikm"), "cfg.yaml").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/vault\.ikm\.file: expected .* hexadecimal/);
    expect((error as Error).message).not.toContain("horse");
    expect((error as Error).message).not.toContain(hex);
  });

  it("should refuse key material shorter than 32 bytes", async () => {
    await using dir = await tempDir();
    await writeFile(join(dir.path, "ikm"), "abcd");
    await expect(readIkmFile(join(dir.path, "ikm"), "cfg.yaml")).rejects.toThrow(/at least 32 bytes/);
  });

  it("should name a missing file and the field that points at it", async () => {
    await expect(readIkmFile("/nonexistent/ikm", "cfg.yaml")).rejects.toThrow(/vault\.ikm\.file: expected a readable file at \/nonexistent\/ikm \(ENOENT\)/);
  });

  it("should take the hook command's stdout as hex key material", async () => {
    const ikm = await runIkmHook([process.execPath, "-e", `process.stdout.write(${JSON.stringify(hex)} + "\\n")`], "cfg.yaml");
    expect(ikm.toString("hex")).toBe(hex);
  });

  it("should report a failing hook by its exit code without repeating what it printed", async () => {
    const error = await runIkmHook([process.execPath, "-e", `process.stdout.write(${JSON.stringify(hex)}); process.exit(3)`], "cfg.yaml").catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/vault\.ikm\.command: .*exited with code 3/);
    expect((error as Error).message).not.toContain(hex);
  });

  it("should ask for vault.ikm when the config has none", async () => {
    const config = parseConfigText("services: [{ name: vault }]\n", { source: "cfg.yaml", baseDir: "/tmp", env: {} });
    await expect(loadIkm(config)).rejects.toThrow(/cfg\.yaml: 1 problem\n {2}- vault\.ikm: expected/);
  });
});
