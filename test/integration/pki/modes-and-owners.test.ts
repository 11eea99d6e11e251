// File modes and owners on the volume, checked with stat(1): keys 0600 (0640 for a group that
// must read them), folders 0700 (0750 with a gid), owned by each service's uid/gid. Needs root,
// as the init container runs.
import { join } from "node:path";
import { execa } from "execa";
import { beforeAll, describe, expect, it } from "vitest";
import { runBuiltCli, serialsOf, writePkiTestConfig } from "../../support/pki.js";
import { tempDir } from "../../support/tmp-dir.js";
import { servicePath } from "../../../src/volume/layout.js";

const stat = async (path: string) => (await execa("stat", ["-c", "%a %u %g", path])).stdout;

describe("pki-init's file modes and owners", () => {
  beforeAll(() => {
    if (process.getuid?.() !== 0) throw new Error("this test chowns files: run it as root (as the init container runs)");
  });

  it("should write keys 0600/0640, folders 0700/0750 and public files 0644, owned by each service", async () => {
    await using dir = await tempDir();
    const config = await writePkiTestConfig(dir.path, {
      services: [
        { name: "postgres", uid: 999, gid: 998, groupReadKey: true },
        { name: "vault", uid: 100, gid: 1000 },
        { name: "core-data", uid: 2001 },
        { name: "plain" },
      ],
    });
    const run = await runBuiltCli(["run", "--only", "pki-init", "--config", config]);
    expect(run.exitCode, run.stderr).toBe(0);
    const s = (p: string) => stat(join(dir.path, "secrets", p));

    expect(await s("ca")).toBe("755 0 0");
    expect(await s("ca/ca.pem")).toBe("644 0 0");

    expect(await s("postgres")).toBe("750 999 998");
    expect(await s("postgres/key.pem")).toBe("640 999 998");
    expect(await s("postgres/cert.pem")).toBe("644 999 998");
    expect(await s("postgres/ca.pem")).toBe("644 999 998");

    expect(await s("vault")).toBe("750 100 1000");
    expect(await s("vault/key.pem")).toBe("600 100 1000");

    expect(await s("core-data")).toBe("700 2001 0");
    expect(await s("core-data/key.pem")).toBe("600 2001 0");

    expect(await s("plain")).toBe("700 0 0");
    expect(await s("plain/key.pem")).toBe("600 0 0");

    // No temporary file is left behind by the atomic writes.
    const { stdout } = await execa("find", [join(dir.path, "secrets"), "-name", "*.tmp"]);
    expect(stdout).toBe("");
  });

  it("should keep the same modes and owners on a rerun that keeps the certificates", async () => {
    await using dir = await tempDir();
    const config = await writePkiTestConfig(dir.path, { services: [{ name: "vault", uid: 100, gid: 1000, groupReadKey: true }] });
    expect((await runBuiltCli(["run", "--only", "pki-init", "--config", config])).exitCode).toBe(0);
    const rerun = await runBuiltCli(["run", "--only", "pki-init", "--config", config]);
    expect(rerun.stdout + rerun.stderr).toContain("kept 1");
    expect(await stat(servicePath(join(dir.path, "secrets"), "vault", "key"))).toBe("640 100 1000");
    expect(await stat(join(dir.path, "secrets", "vault"))).toBe("750 100 1000");
  });

  it("should give kept certificates the owner and modes a changed config asks, without reissuing them", async () => {
    await using dir = await tempDir();
    const secrets = join(dir.path, "secrets");
    const before = await writePkiTestConfig(dir.path, { services: [{ name: "vault", uid: 100 }] });
    expect((await runBuiltCli(["run", "--only", "pki-init", "--config", before])).exitCode).toBe(0);
    const serials = await serialsOf(secrets, ["vault"]);
    expect(await stat(servicePath(secrets, "vault", "key"))).toBe("600 100 0");

    const after = await writePkiTestConfig(dir.path, { services: [{ name: "vault", uid: 200, gid: 300, groupReadKey: true }] });
    const rerun = await runBuiltCli(["run", "--only", "pki-init", "--config", after]);
    expect(rerun.stdout + rerun.stderr).toContain("kept 1");
    expect(await serialsOf(secrets, ["vault"])).toEqual(serials);
    expect(await stat(join(secrets, "vault"))).toBe("750 200 300");
    expect(await stat(servicePath(secrets, "vault", "key"))).toBe("640 200 300");
    expect(await stat(servicePath(secrets, "vault", "cert"))).toBe("644 200 300");
  });
});
