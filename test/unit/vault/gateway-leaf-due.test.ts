// When a rerun has Vault issue the gateway a new leaf although no new intermediate came.
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../../src/config/load.js";
import { fingerprintOf, gatewayTlsKey, toKvRecord } from "../../../src/gateway/gateway-tls.js";
import type { GatewayKv } from "../../../src/gateway/gateway-kv.js";
import { gatewayLeafDue } from "../../../src/vault/gateway-leaf-due.js";
import { daysFromNow, mint } from "../../support/pki-fixtures.js";

const config = (extra = "") =>
  parseConfigText(`secretsDir: /s\nservices:\n  - name: gateway\n  - name: core-data\npki:\n  renewBefore: 15d\ngateway:\n  routes: ./routes.toml\n${extra}`, {
    source: "/etc/bootgate.yaml",
    baseDir: "/etc",
    env: {},
  });

/** A KV holding `record` at the gateway's key (or nothing), counting reads and closes. */
function kvWith(record: Record<string, unknown> | undefined) {
  const seen = { reads: [] as string[], closed: 0 };
  const kv = {
    read: async (key: string) => {
      seen.reads.push(key);
      return record;
    },
    write: async () => {},
    close: () => void seen.closed++,
  } as unknown as GatewayKv;
  return { deps: { openKv: async () => kv }, seen };
}

async function recordExpiring(notAfter: Date, source = "vault") {
  const leaf = await mint({ name: "gateway", notAfter });
  return toKvRecord({ certPem: leaf.pem, keyPem: leaf.keyPem, chainPem: "", fingerprint: fingerprintOf(leaf.pem), source, notAfter: notAfter.toISOString() });
}

describe("gatewayLeafDue", () => {
  const now = new Date();

  it("should be due when Vault holds no gateway certificate", async () => {
    const { deps, seen } = kvWith(undefined);
    expect(await gatewayLeafDue(config(), now, deps)).toBe(true);
    expect(seen.reads).toEqual([gatewayTlsKey("gateway")]);
    expect(seen.closed).toBe(1);
  });

  it("should be due inside renewBefore and not before it", async () => {
    expect(await gatewayLeafDue(config(), now, kvWith(await recordExpiring(daysFromNow(10))).deps)).toBe(true);
    expect(await gatewayLeafDue(config(), now, kvWith(await recordExpiring(daysFromNow(60))).deps)).toBe(false);
  });

  it("should be due when the certificate Vault holds was not issued by this boot's intermediate (a run killed before gateway-cert)", async () => {
    const thisBoot = await mint({ name: "This Boot's Intermediate", ca: true });
    const lastBoot = await mint({ name: "Last Boot's Intermediate", ca: true });
    const leaf = await mint({ name: "gateway", issuer: lastBoot, notAfter: daysFromNow(60) });
    const record = toKvRecord({
      certPem: leaf.pem,
      keyPem: leaf.keyPem,
      chainPem: "",
      fingerprint: fingerprintOf(leaf.pem),
      source: "vault",
      notAfter: daysFromNow(60).toISOString(),
    });
    expect(await gatewayLeafDue(config(), now, kvWith(record).deps, thisBoot.pem)).toBe(true);
    expect(await gatewayLeafDue(config(), now, kvWith(record).deps, lastBoot.pem)).toBe(false);
  });

  it("should never be due for an imported certificate: its owner renews it", async () => {
    expect(await gatewayLeafDue(config(), now, kvWith(await recordExpiring(daysFromNow(1), "import")).deps)).toBe(false);
  });

  it("should not ask Vault at all without routes (no gateway in the stack)", async () => {
    const noRoutes = parseConfigText(`secretsDir: /s\nservices:\n  - name: core-data\n`, { source: "/etc/bootgate.yaml", baseDir: "/etc", env: {} });
    const { deps, seen } = kvWith(undefined);
    expect(await gatewayLeafDue(noRoutes, now, deps)).toBe(false);
    expect(seen.reads).toEqual([]);
  });

  it("should close the client when the record is unreadable, and say why", async () => {
    const record = { ...(await recordExpiring(daysFromNow(60))), fingerprint_sha256: "00" };
    const { deps, seen } = kvWith(record);
    await expect(gatewayLeafDue(config(), now, deps)).rejects.toThrow(/does not match its recorded fingerprint/);
    expect(seen.closed).toBe(1);
  });
});
