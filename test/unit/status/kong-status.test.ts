// `bootgate status` for Kong in DB-less mode: where kong.yml is, whether it is written, and the
// certificate it makes Kong serve, never a key.
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gatewayTlsFrom } from "../../../src/gateway/gateway-tls.js";
import { KongDeclarativeAdapter } from "../../../src/gateway/kong-declarative-adapter.js";
import { parseRouteMap } from "../../../src/gateway/route-map.js";
import { runCli } from "../../support/cli.js";
import { mint } from "../../support/pki-fixtures.js";
import { tempDir } from "../../support/tmp-dir.js";

const ROUTES = `[[routes]]\nname = "core-data"\npath = "/api/core-data"\nupstream = "https://core-data:59880"\n`;

interface KongStatus {
  gateway: { kong: { mode: string; configFile: string; written: boolean; routes?: string[] }; certificate?: { fingerprint: string } };
}

describe("bootgate status with Kong in declarative mode", () => {
  it("should say the file is not written yet, then show its routes and served certificate without any key", async () => {
    await using dir = await tempDir();
    const configFile = join(dir.path, "bootgate.yaml");
    await writeFile(join(dir.path, "routes.toml"), ROUTES);
    await writeFile(
      configFile,
      "secretsDir: ./secrets\nstateDir: ./state\nservices:\n  - name: gateway\n  - name: core-data\ngateway:\n  kind: kong\n  routes: ./routes.toml\n  kong:\n    mode: declarative\n",
    );
    const file = join(dir.path, "secrets", "gateway", "kong", "kong.yml");

    const before = await runCli(["status", "--json", "--config", configFile]);
    expect(before.code).toBe(0);
    expect((JSON.parse(before.stdout) as KongStatus).gateway.kong).toEqual({ mode: "declarative", configFile: file, written: false });

    const root = await mint({ name: "Stack Root", ca: true });
    const leaf = await mint({ name: "gateway", issuer: root });
    const tls = gatewayTlsFrom({ certPem: leaf.pem, keyPem: leaf.keyPem, chainPem: "", source: "pki-init" });
    await new KongDeclarativeAdapter({ gateway: "gateway", configDir: join(dir.path, "secrets", "gateway", "kong"), proxyPort: 8443 }).apply({
      tls,
      clientTls: tls,
      caPem: root.pem,
      routes: parseRouteMap(ROUTES, "routes.toml"),
      jwt: { key: { secret: randomBytes(32).toString("base64url"), algorithm: "HS256", keyId: "k" }, issuer: "bootgate" },
    });

    const after = await runCli(["status", "--json", "--config", configFile]);
    expect(after.code).toBe(0);
    const status = JSON.parse(after.stdout) as KongStatus;
    expect(status.gateway.kong).toEqual({ mode: "declarative", configFile: file, written: true, routes: ["core-data"] });
    expect(status.gateway.certificate?.fingerprint).toBe(tls.fingerprint);
    expect(after.stdout).not.toContain("PRIVATE KEY");
    const text = await runCli(["status", "--config", configFile]);
    expect(text.stdout).toContain(`declarative (DB-less); config ${file}`);
    expect(text.stdout).not.toContain("PRIVATE KEY");
  });
});
