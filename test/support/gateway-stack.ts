// A gateway test bed without Vault: a throwaway stack CA and a foreign one, the gateway's leaf,
// two HTTPS micro services (plus one whose certificate comes from the foreign CA), a route map
// and a JWT key. Integration tests put a real nginx in front of it.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gatewayTlsFrom, type GatewayTls } from "../../src/gateway/gateway-tls.js";
import type { GatewayMaterial } from "../../src/gateway/adapter.js";
import type { JwtKey } from "../../src/gateway/jwt.js";
import { parseRouteMap } from "../../src/gateway/route-map.js";
import { issueTestLeaf, makeTestCa, type TestCa } from "./gateway-pki.js";
import { startTestUpstream, type TestUpstream } from "./gateway-upstream.js";

export interface GatewayBed extends AsyncDisposable {
  dir: string;
  ca: TestCa;
  foreign: TestCa;
  gatewayTls: GatewayTls;
  upstreams: { coreData: TestUpstream; coreMetadata: TestUpstream; rogue: TestUpstream };
  routesToml: string;
  jwtKey: JwtKey;
  /** A new gateway certificate from the same CA (rotation). */
  newGatewayTls(): Promise<GatewayTls>;
}

export const newJwtKey = (): JwtKey => ({ secret: randomBytes(32).toString("base64url"), algorithm: "HS256", keyId: randomBytes(4).toString("hex") });

export async function startGatewayBed(): Promise<GatewayBed> {
  const dir = await mkdtemp(join(tmpdir(), "bootgate-gw-"));
  const ca = await makeTestCa(dir, "stack");
  const foreign = await makeTestCa(dir, "foreign");
  const tlsFor = async (issuer: TestCa, name: string) => {
    const leaf = await issueTestLeaf(dir, issuer, name);
    return { certPem: leaf.certPem, keyPem: leaf.keyPem, caPem: ca.certPem };
  };
  const gw = await issueTestLeaf(dir, ca, "gateway");
  const coreData = await startTestUpstream("core-data", await tlsFor(ca, "core-data"));
  const coreMetadata = await startTestUpstream("core-metadata", await tlsFor(ca, "core-metadata"));
  const rogue = await startTestUpstream("core-rogue", await tlsFor(foreign, "core-rogue"));
  const routesToml = `# the stack's routes
[[routes]]
name = "core-data"
path = "/api/core-data"
upstream = "https://127.0.0.1:${coreData.port}"
service = "core-data"

[[routes]]
name = "core-metadata"
path = "/api/core-metadata/"
upstream = "https://127.0.0.1:${coreMetadata.port}/v2"
service = "core-metadata"

[[routes]]
name = "rogue"
path = "/api/rogue"
upstream = "https://127.0.0.1:${rogue.port}"
service = "core-rogue"
`;
  await writeFile(join(dir, "routes.toml"), routesToml);
  const close = async () => {
    await Promise.all([coreData.close(), coreMetadata.close(), rogue.close()]);
    await rm(dir, { recursive: true, force: true });
  };
  return {
    dir,
    ca,
    foreign,
    gatewayTls: gatewayTlsFrom({ certPem: gw.certPem, keyPem: gw.keyPem, chainPem: "", source: "pki-init" }),
    upstreams: { coreData, coreMetadata, rogue },
    routesToml,
    jwtKey: newJwtKey(),
    newGatewayTls: async () => {
      const leaf = await issueTestLeaf(dir, ca, "gateway", "gateway-rotated");
      return gatewayTlsFrom({ certPem: leaf.certPem, keyPem: leaf.keyPem, chainPem: "", source: "pki-init" });
    },
    [Symbol.asyncDispose]: close,
  };
}

/** What proxy-setup would hand an adapter for this bed: its certificate both ways, the CA, routes and JWT key. */
export const bedMaterial = (bed: GatewayBed, issuer: string): GatewayMaterial => ({
  tls: bed.gatewayTls,
  clientTls: bed.gatewayTls,
  caPem: bed.ca.certPem,
  routes: parseRouteMap(bed.routesToml, "routes.toml"),
  jwt: { key: bed.jwtKey, issuer },
});
