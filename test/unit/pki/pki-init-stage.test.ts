import { rm } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GATEWAY_LEAF_HANDOFF, type GatewayLeaf } from "../../../src/pki/gateway-handoff.js";
import { ALL_STAGES } from "../../../src/stages/all.js";
import { PKI_INIT, pkiInitStage, pkiInitTimeoutMs } from "../../../src/stages/pki-init.js";
import { buildStage } from "../../../src/stages/registry.js";
import { pkiTestConfig } from "../../support/pki.js";
import { importFilesOf, mintImportSet, writeImportDir } from "../../support/pki-fixtures.js";
import { tempDir } from "../../support/tmp-dir.js";
import { PKI_READY } from "../../../src/gates/gate-names.js";

describe("the pki-init stage", () => {
  it("should come first in boot order, need nothing and open pki-ready", async () => {
    await using dir = await tempDir();
    const stage = await buildStage(pkiInitStage(), pkiTestConfig(dir.path, { services: [{ name: "vault" }] }));
    expect(ALL_STAGES[0]?.name).toBe(PKI_INIT);
    expect(stage).toMatchObject({ name: "pki-init", needs: [], opens: [PKI_READY] });
  });

  it("should put the gateway's leaf into the run's handoff and report what it did", async () => {
    await using dir = await tempDir();
    const config = pkiTestConfig(dir.path, { services: [{ name: "vault" }, { name: "gateway" }], gateway: { routes: "./routes.toml" } });
    const stage = await buildStage(pkiInitStage(), config);
    const handoff = new Map<string, unknown>();
    const lines: string[] = [];
    const outcome = await stage.run({ config, bootId: "b", log: { info: (l) => lines.push(l) }, signal: new AbortController().signal, handoff });
    expect(outcome).toEqual({ summary: "issued 2, kept 0; new ephemeral CA" });
    expect((handoff.get(GATEWAY_LEAF_HANDOFF) as GatewayLeaf).service).toBe("gateway");
    expect(lines.join("\n")).not.toContain("PRIVATE KEY");
  });

  it("should give large RSA keys a larger time budget", async () => {
    await using dir = await tempDir();
    const services = Array.from({ length: 50 }, (_, i) => ({ name: `s${i}` }));
    const ec = pkiInitTimeoutMs(pkiTestConfig(dir.path, { services }));
    const rsa = pkiInitTimeoutMs(pkiTestConfig(dir.path, { services, pki: { keyAlgorithm: "rsa-4096" } }));
    expect(rsa).toBeGreaterThan(ec + 50 * 5_000);
  });

  it("should issue from the imported CA its preflight loaded, without reading the import folder again", async () => {
    await using dir = await tempDir();
    const importDir = await writeImportDir(join(dir.path, "import"), importFilesOf(await mintImportSet()));
    const config = pkiTestConfig(dir.path, { services: [{ name: "vault" }], pki: { ca: { import: importDir } } });
    const stage = await buildStage(pkiInitStage(), config);
    await rm(importDir, { recursive: true });
    const outcome = await stage.run({ config, bootId: "b", log: { info: () => {} }, signal: new AbortController().signal, handoff: new Map() });
    expect(outcome).toEqual({ summary: "issued 1, kept 0; imported CA" });
  });
});
