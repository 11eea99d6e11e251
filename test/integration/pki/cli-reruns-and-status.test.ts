// Through the built CLI: a rerun in the same boot keeps every serial, an emptied volume (a
// reboot) gets new ones, and `bootgate status` reports each service's certificate.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runBuiltCli, serialsOf, writePkiTestConfig } from "../../support/pki.js";
import { tempDir } from "../../support/tmp-dir.js";

const SERVICES = [{ name: "vault", dns: ["vault.internal"], ip: ["127.0.0.1"] }, { name: "postgres" }, { name: "gateway" }];
const NAMES = SERVICES.map((s) => s.name);

describe("bootgate run --only pki-init, run again", () => {
  it("should keep the serials on a rerun and change them all after the volume was emptied", async () => {
    await using dir = await tempDir();
    const config = await writePkiTestConfig(dir.path, { services: SERVICES });
    const secrets = join(dir.path, "secrets");
    const first = await runBuiltCli(["run", "--only", "pki-init", "--config", config]);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stdout + first.stderr).toContain("issued 3, kept 0; new ephemeral CA");
    const before = await serialsOf(secrets, NAMES);

    const rerun = await runBuiltCli(["run", "--only", "pki-init", "--config", config]);
    expect(rerun.exitCode, rerun.stderr).toBe(0);
    expect(rerun.stdout + rerun.stderr).toContain("issued 0, kept 3; this boot's CA");
    expect(await serialsOf(secrets, NAMES)).toEqual(before);

    await rm(secrets, { recursive: true });
    const reboot = await runBuiltCli(["run", "--only", "pki-init", "--config", config]);
    expect(reboot.exitCode, reboot.stderr).toBe(0);
    const after = await serialsOf(secrets, NAMES);
    for (const name of NAMES) expect(after[name]).not.toBe(before[name]);
  });

  it("should report each service's subject, SANs, not-after and days left in bootgate status, and the gateway's as in Vault", async () => {
    await using dir = await tempDir();
    const config = await writePkiTestConfig(dir.path, { services: SERVICES, pki: { validity: "20d" }, gateway: { routes: "./routes.toml" } });
    expect((await runBuiltCli(["run", "--only", "pki-init", "--config", config])).exitCode).toBe(0);
    const status = await runBuiltCli(["status", "--json", "--config", config]);
    expect(status.exitCode, status.stderr).toBe(0);
    const certs = (JSON.parse(status.stdout) as { certificates: { services: Record<string, unknown>[] } }).certificates.services;
    const vault = certs.find((c) => c.service === "vault")!;
    expect(vault).toMatchObject({ state: "ok", subject: "CN=vault", sans: ["DNS:vault", "DNS:vault.internal", "IP Address:127.0.0.1"], daysLeft: 19 });
    expect(Date.parse(vault.notAfter as string)).toBeGreaterThan(Date.now() + 19 * 86_400_000);
    expect(certs.find((c) => c.service === "gateway")).toEqual({ service: "gateway", state: "in vault" });

    const table = await runBuiltCli(["status", "--config", config]);
    // The issuer column: this boot's intermediate.
    expect(table.stdout).toMatch(/postgres\s+CN=postgres\s+DNS:postgres\s+bootgate intermediate [0-9a-f]{8}\s+\S+Z\s+19\s+ok/);
  });
});
