import { existsSync } from "node:fs";
import { readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/load.js";
import { runCli } from "../../support/cli.js";
import { configRefusal, parseConfig } from "../../support/config-text.js";
import { tempDir } from "../../support/tmp-dir.js";

const parse = parseConfig;
const issuesOf = configRefusal;

describe("config loading", () => {
  it("should fill the documented defaults for a minimal config", () => {
    const c = parse("services:\n  - name: vault\n");
    expect(c.secretsDir).toBe("/etc/bg/secrets-volume");
    expect(c.stateDir).toBe("/etc/bg/state");
    // No IKM: no Vault of bootgate's to issue, so pki-init issues everything (local).
    expect(c.pki).toEqual({ ca: "ephemeral", issuer: "local", keyAlgorithm: "ecdsa-p256", validityMs: 90 * 86_400_000, renewBeforeMs: 15 * 86_400_000 });
    expect(c.vault.keyShares).toBe(5);
    expect(c.vault.keyThreshold).toBe(3);
    expect(c.services[0]).toMatchObject({ name: "vault", dns: [], ip: [] });
  });

  it("should make Vault the issuer when Vault is in the stack with an IKM, and keep local otherwise", () => {
    const ikm = "vault:\n  ikm: { file: /k }\n";
    expect(parse(`services:\n  - name: vault\n${ikm}`).pki.issuer).toBe("vault");
    expect(parse(`services:\n  - name: vault\n${ikm}`).vault.pkiMount).toBe("pki");
    expect(parse(`services:\n  - name: core-data\n${ikm}`).pki.issuer).toBe("local");
    expect(parse(`pki:\n  issuer: local\nservices:\n  - name: vault\n${ikm}`).pki.issuer).toBe("local");
    expect(parse(`pki:\n  ca: { import: ./ca }\nservices:\n  - name: vault\n${ikm}`).pki.issuer).toBe("local");
    // The offline root: Vault generates the intermediate's key (bootgate ca csr / ca install).
    expect(parse(`pki:\n  ca: { import: ./ca }\n  issuer: vault\nservices:\n  - name: vault\n${ikm}`).pki.issuer).toBe("vault");
  });

  it("should refuse issuer vault without Vault in the stack, without an IKM, or on the KV mount", () => {
    expect(issuesOf("pki:\n  issuer: vault\nservices:\n  - name: core-data\nvault:\n  ikm: { file: /k }\n").issues).toEqual([
      { path: "pki.issuer", message: "expected a service named `vault` (vault.service) for issuer `vault`" },
    ]);
    expect(issuesOf("pki:\n  issuer: vault\nservices:\n  - name: vault\n").issues).toEqual([
      { path: "pki.issuer", message: "expected vault.ikm for issuer `vault`" },
    ]);
    expect(issuesOf("pki:\n  issuer: vault\nservices:\n  - name: vault\nvault:\n  pkiMount: secret\n  ikm: { file: /k }\n").issues).toEqual([
      { path: "vault.pkiMount", message: "expected a mount other than vault.kvMount" },
    ]);
    expect(issuesOf("pki:\n  issuer: both\nservices:\n  - name: vault\n").issues).toEqual([{ path: "pki.issuer", message: "expected `vault` or `local`" }]);
  });

  it("should accept the example config of the README", () => {
    const c = parse(`secretsDir: ./secrets-volume
stateDir: ./state
pki:
  ca: { import: ./import }
  keyAlgorithm: ecdsa-p384
  validity: 90d
  renewBefore: 15d
services:
  - name: vault
    dns: [vault.internal]
    ip: [127.0.0.1]
    uid: 100
    gid: 1000
  - name: core-data
    database: coredata
`);
    expect(c.pki.ca).toEqual({ import: "/etc/bg/import" });
    expect(c.services[1]!.database).toBe("coredata");
    expect(c.services[0]!.uid).toBe(100);
  });

  it("should let environment variables override paths and addresses", () => {
    const c = parse("services: []\n", {
      BOOTGATE_SECRETS_DIR: "/run/secrets",
      BOOTGATE_VAULT_ADDR: "https://vault:8200",
      BOOTGATE_PG_PORT: "6543",
    });
    expect(c.secretsDir).toBe("/run/secrets");
    expect(c.vault.address).toBe("https://vault:8200");
    expect(c.postgres.port).toBe(6543);
  });

  it("should switch the gateway to DB-less Kong from the environment (compose/kong.yml)", () => {
    const c = parse("services: [{ name: gateway }]\n", { BOOTGATE_GATEWAY_KIND: "kong", BOOTGATE_KONG_MODE: "declarative" });
    expect(c.gateway.kind).toBe("kong");
    expect(c.gateway.kong.mode).toBe("declarative");
    const e = issuesOf("services: []\n", { BOOTGATE_KONG_MODE: "dbless" });
    expect(e.issues).toEqual([expect.objectContaining({ path: "gateway.kong.mode", message: expect.stringContaining("BOOTGATE_KONG_MODE") })]);
  });

  it("should take the cluster's node count from the environment (compose/vault-cluster.yml), naming the variable when it is bad", () => {
    const c = parse("services: [{ name: vault }]\n", { BOOTGATE_VAULT_CLUSTER_NODES: "3" });
    expect(c.vault.cluster.nodes).toBe(3);
    expect(c.vault.cluster.names).toEqual(["vault-0", "vault-1", "vault-2"]);
    const e = issuesOf("services: [{ name: vault }]\n", { BOOTGATE_VAULT_CLUSTER_NODES: "2" });
    expect(e.issues).toEqual([expect.objectContaining({ path: "vault.cluster.nodes", message: expect.stringContaining("BOOTGATE_VAULT_CLUSTER_NODES") })]);
  });

  it("should say which variable a bad overridden value came from", () => {
    const e = issuesOf("services: []\n", { BOOTGATE_VAULT_ADDR: "http://vault:8200" });
    expect(e.issues).toEqual([expect.objectContaining({ path: "vault.address", message: expect.stringContaining("BOOTGATE_VAULT_ADDR") })]);
  });

  it("should load the embedded default when no file is named", async () => {
    const c = await loadConfig({ env: {}, cwd: "/srv/stack" });
    expect(c.source).toBe("<embedded default>");
    expect(c.secretsDir).toBe("/srv/stack/secrets-volume");
    expect(c.services.map((s) => s.name)).toContain("vault");
  });

  it("should report every problem at once", () => {
    const e = issuesOf("pki:\n  keyAlgorithm: dsa\n  validity: forever\nservices:\n  - name: Bad\n");
    expect(e.issues.map((i) => i.path).sort()).toEqual(["pki.keyAlgorithm", "pki.validity", "services.0.name"]);
  });
});

// Each bad config: the dotted path that must appear, and a word of what was expected.
const BAD: Array<[string, string, string, RegExp]> = [
  ["a service name with a slash", "services:\n  - name: a/b\n", "services.0.name", /DNS label/],
  ["a service name with ..", "services:\n  - name: ..\n", "services.0.name", /DNS label/],
  ["an empty service name", "services:\n  - name: ''\n", "services.0.name", /DNS label/],
  ["an uppercase service name", "services:\n  - name: Vault\n", "services.0.name", /DNS label/],
  ["a service name over 63 characters", `services:\n  - name: ${"a".repeat(64)}\n`, "services.0.name", /DNS label/],
  ["a service name ending in -", "services:\n  - name: vault-\n", "services.0.name", /DNS label/],
  ["a reserved service name", "services:\n  - name: ca\n", "services.0.name", /other than/],
  ["a duplicate service", "services:\n  - name: a\n  - name: a\n", "services.1.name", /unique/],
  ["a missing services list", "pki: {}\n", "services", /expected/],
  ["services that are not a list", "services: vault\n", "services", /list/],
  ["an unknown top-level key", "services: []\nsecretDir: /x\n", "", /unknown key `secretDir`/],
  ["an unknown service key", "services:\n  - name: a\n    port: 80\n", "services.0", /unknown key `port`/],
  ["a bad key algorithm", "services: []\npki:\n  keyAlgorithm: dsa\n", "pki.keyAlgorithm", /ecdsa-p256/],
  ["a bad validity", "services: []\npki:\n  validity: 3 weeks\n", "pki.validity", /duration/],
  ["a bad CA mode", "services: []\npki:\n  ca: permanent\n", "pki.ca", /ephemeral/],
  ["a bad IP address", "services:\n  - name: a\n    ip: [300.1.1.1]\n", "services.0.ip.0", /IP/],
  ["a bad DNS SAN", "services:\n  - name: a\n    dns: [bad_name]\n", "services.0.dns.0", /DNS name/],
  ["a negative uid", "services:\n  - name: a\n    uid: -1\n", "services.0.uid", /./],
  ["a non-https Vault address", "services: []\nvault:\n  address: http://127.0.0.1:8200\n", "vault.address", /https/],
  ["a threshold above the shares", "services: []\nvault:\n  keyShares: 2\n  keyThreshold: 3\n", "vault.keyThreshold", /keyThreshold <= keyShares/],
  ["a port out of range", "services: []\npostgres:\n  port: 70000\n", "postgres.port", /port/],
  ["a database name that is not an identifier", "services:\n  - name: a\n    database: drop-table\n", "services.0.database", /./],
  ["a bad gateway kind", "services: []\ngateway:\n  kind: traefik\n", "gateway.kind", /nginx/],
  ["a stage timeout that is not a duration", "services: []\nstages:\n  pki-init:\n    timeout: soon\n", "stages.pki-init.timeout", /duration/],
];

describe("bad configs", () => {
  it.each(BAD)("should refuse %s with its path", (_title, text, path, expected) => {
    const e = issuesOf(text);
    const issue = e.issues.find((i) => i.path === path);
    expect(issue, `issues were ${JSON.stringify(e.issues)}`).toBeDefined();
    expect(issue!.message).toMatch(expected);
    expect(e.message).toContain("/etc/bootgate.yaml");
  });

  it.each(BAD)("should exit 2 naming the file and the path, and write nothing, for %s", async (_title, text, path) => {
    await using dir = await tempDir();
    const file = join(dir.path, "bootgate.yaml");
    await writeFile(file, `secretsDir: ./secrets\nstateDir: ./state\n${text}`);
    const { code, stderr } = await runCli(["run", "--config", file]);
    expect(code).toBe(2);
    expect(stderr).toContain(file);
    expect(stderr).toContain(path === "" ? "(root)" : `${path}:`);
    expect(await readdir(dir.path)).toEqual(["bootgate.yaml"]);
  });

  it("should refuse YAML that does not parse, with its line", () => {
    const e = issuesOf("services:\n  - name: a\n bad: [\n");
    expect(e.issues[0]!.path).toMatch(/^line \d+/);
  });

  it("should refuse a duplicate key in the YAML", () => {
    const e = issuesOf("services: []\nservices: []\n");
    expect(e.issues[0]!.message).toMatch(/YAML/);
  });

  it("should exit 2 naming a config file that does not exist", async () => {
    await using dir = await tempDir();
    const file = join(dir.path, "missing.yaml");
    const { code, stderr } = await runCli(["run", "--config", file]);
    expect(code).toBe(2);
    expect(stderr).toContain(file);
    expect(existsSync(join(dir.path, "secrets-volume"))).toBe(false);
  });
});
