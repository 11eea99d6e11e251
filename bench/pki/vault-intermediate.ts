// The two ways for this boot's intermediate to reach Vault's PKI engine (pki.issuer: vault),
// timed in one run against a real OpenBao (the project's launcher, TLS verified by name), with
// bootgate's own login:
//   import     pki-init's root + intermediate (exportable key) → <mount>/issuers/import/bundle, config/issuers
//   internal   a root made here → <mount>/intermediate/generate/internal (Vault's key) → the root signs the CSR
//              (@peculiar/x509) → <mount>/intermediate/set-signed, config/issuers
// Each round makes a new CA, as a boot does. The import path is what bootgate does (docs/pki.md says why).
// Usage: node --import tsx bench/pki/vault-intermediate.ts [--rounds 10]   (needs `make bao`)
import { webcrypto } from "node:crypto";
import { createEphemeralCa } from "../../src/pki/ephemeral-ca.js";
import { KEY_PROFILES } from "../../src/pki/key-algorithms.js";
import { randomSerialHex } from "../../src/pki/serial.js";
import { type CryptoKeyPair, x509 } from "../../src/pki/x509.js";
import { NodeVaultPkiEngine } from "../../src/vault/node-vault-pki-engine.js";
import { inspectVault } from "../../test/support/vault-inspect.js";
import { startVaultStack } from "../../test/support/vault-stack.js";
// @ts-expect-error: plain JS helpers shared by the benchmarks
import { fmt, percentile, saveResult, table } from "../lib.mjs";

const roundsArg = process.argv.indexOf("--rounds");
const ROUNDS = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 10;
const DAY = 86_400_000;
const profile = KEY_PROFILES["ecdsa-p256"];

await using stack = await startVaultStack({ config: { services: [{ name: "core-data" }] } });
await using inspector = await inspectVault(stack.config, stack.ikmFile);
const api = inspector.root.api;
const engine = new NodeVaultPkiEngine(inspector.root, "pki");

async function viaImport(): Promise<number> {
  const t0 = performance.now();
  const ca = await createEphemeralCa({ algorithm: "ecdsa-p256", validityMs: 90 * DAY, now: new Date(), kernelBootId: "bench", exportIntermediateKey: true });
  const root = ca.bundlePem.slice(0, -ca.chainPem.length);
  const id = await engine.importIssuer(ca.intermediateKeyPem! + ca.chainPem + root, ca.chainPem);
  await engine.setDefaultIssuer(id);
  return performance.now() - t0;
}

async function viaInternal(): Promise<number> {
  const t0 = performance.now();
  const keys = (await webcrypto.subtle.generateKey(profile.generate, false, ["sign", "verify"])) as CryptoKeyPair;
  const tag = randomSerialHex().slice(0, 8);
  const root = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialHex(),
    name: `CN=bench root ${tag}`,
    notBefore: new Date(Date.now() - 300_000),
    notAfter: new Date(Date.now() + 91 * DAY),
    keys,
    signingAlgorithm: profile.signing,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const gen = (await api.write("pki/intermediate/generate/internal", { common_name: `bench intermediate ${tag}`, key_type: "ec", key_bits: 256 })) as {
    data: { csr: string };
  };
  const csr = new x509.Pkcs10CertificateRequest(gen.data.csr);
  const intermediate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialHex(),
    subject: csr.subject,
    issuer: root.subject,
    notBefore: new Date(Date.now() - 300_000),
    notAfter: new Date(Date.now() + 91 * DAY),
    publicKey: await csr.publicKey.export(),
    signingKey: keys.privateKey,
    signingAlgorithm: profile.signing,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(await csr.publicKey.export()),
      await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const set = (await api.write("pki/intermediate/set-signed", { certificate: intermediate.toString("pem") + "\n" + root.toString("pem") })) as {
    data: { imported_issuers?: string[] | null };
  };
  const id = set.data.imported_issuers?.[0];
  if (!id) throw new Error("set-signed imported no issuer");
  await engine.setDefaultIssuer(id);
  return performance.now() - t0;
}

const runs: Record<string, number[]> = { import: [], internal: [] };
for (let i = 0; i < ROUNDS; i++) {
  // Alternating, so load on the shared machine falls on both alike.
  runs.import!.push(await viaImport());
  runs.internal!.push(await viaInternal());
}
const median = (xs: number[]) => percentile(xs, 50) as number;
const rows = Object.entries(runs).map(([name, xs]) => [name, fmt(median(xs)), fmt(percentile(xs, 90)), `${(median(xs) / median(runs.import!)).toFixed(2)}x`]);
console.log(`bench/pki/vault-intermediate — ${ROUNDS} rounds each, ECDSA P-256, one OpenBao; Node ${process.version}`);
console.log(table(["path", "median ms", "p90 ms", "vs import"], rows));
console.log(`saved ${saveResult("pki-vault-intermediate", { rounds: ROUNDS, runs })}`);
