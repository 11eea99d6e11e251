import { mkdir, readFile, stat } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../../src/config/load.js";
import { clientCertRolesPath, readClientCertRoles, writeClientCertRoles } from "../../../src/db/client-cert-roles-file.js";
import { renderPgHba } from "../../../src/servers/pg-hba.js";
import { tempDir } from "../../support/tmp-dir.js";

const configOf = (yaml: string, secretsDir: string) =>
  parseConfigText(`secretsDir: ${secretsDir}\n${yaml}`, { source: "/etc/bootgate.yaml", baseDir: "/etc", env: {} });

describe("the client-certificate roles file (init -> the postgres container)", () => {
  it("should list exactly the roles whose database asks for the certificate, 0600, and read back the same", async () => {
    await using dir = await tempDir();
    const config = configOf(
      `services:
  - name: vault
  - name: postgres
  - name: web-app
    database: { name: webapp, clientCert: true }
  - name: core-data
    database: coredata
`,
      dir.path,
    );
    await mkdir(`${dir.path}/postgres`);
    const file = await writeClientCertRoles(config);
    expect(file).toBe(clientCertRolesPath(dir.path, "postgres"));
    expect(await readFile(file, "utf8")).toBe("web-app\n");
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const roles = await readClientCertRoles(file);
    expect(roles).toEqual(["web-app"]);
    // What the postgres container renders from it, on the compose network's addresses.
    expect(renderPgHba(roles, ["0.0.0.0/0"]).split("\n").slice(1, 3)).toEqual([
      'hostssl all "web-app" 0.0.0.0/0 scram-sha-256 clientcert=verify-full',
      "hostssl all all 0.0.0.0/0 scram-sha-256",
    ]);
  });

  it("should write an empty file when no role asks for its certificate", async () => {
    await using dir = await tempDir();
    await mkdir(`${dir.path}/postgres`);
    const file = await writeClientCertRoles(configOf("services:\n  - name: postgres\n  - name: core-data\n    database: coredata\n", dir.path));
    expect(await readClientCertRoles(file)).toEqual([]);
  });

  it("should fail naming the file when init has not written it", async () => {
    await using dir = await tempDir();
    await expect(readClientCertRoles(`${dir.path}/postgres/client-cert-roles`)).rejects.toThrow(
      /postgres\/client-cert-roles: cannot read the client-certificate roles init writes at every boot \(ENOENT\)/,
    );
  });
});
