// Bad material that stages read from outside the config is refused before anything is written.
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../support/cli.js";
import { tempDir } from "../../support/tmp-dir.js";

describe("preflight", () => {
  it("should exit 2 naming a broken imported CA file, with no boot started and nothing written", async () => {
    await using dir = await tempDir();
    const ca = join(dir.path, "import");
    await mkdir(ca);
    await writeFile(join(ca, "root.pem"), "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
    await writeFile(join(ca, "intermediate.pem"), "x");
    await writeFile(join(ca, "intermediate-key.pem"), "x");
    const file = join(dir.path, "bootgate.yaml");
    await writeFile(file, `secretsDir: ./secrets\nstateDir: ./state\npki:\n  ca: { import: ./import }\nservices:\n  - name: a\n`);
    const { code, stderr } = await runCli(["run", "--config", file]);
    expect(code).toBe(2);
    expect(stderr).toContain(join(ca, "root.pem"));
    expect(existsSync(join(dir.path, "secrets"))).toBe(false);
    expect(existsSync(join(dir.path, "state"))).toBe(false);
  });

  it("should exit 2 naming a bad route map before any stage runs, with nothing written", async () => {
    await using dir = await tempDir();
    await writeFile(join(dir.path, "routes.toml"), `[[routes]]\nname = "a"\npath = "/a"\nupstream = "http://a:80"\n`);
    const file = join(dir.path, "bootgate.yaml");
    await writeFile(file, `secretsDir: ./secrets\nstateDir: ./state\nservices:\n  - name: gateway\n  - name: a\ngateway:\n  routes: ./routes.toml\n`);
    const { code, stderr } = await runCli(["run", "--config", file]);
    expect(code).toBe(2);
    expect(stderr).toContain(join(dir.path, "routes.toml"));
    expect(stderr).toMatch(/upstream/);
    expect(existsSync(join(dir.path, "secrets"))).toBe(false);
  });
});
