// `bootgate status` for Vault's PKI engine (pki.issuer: vault): whether its default issuer is
// this boot's intermediate (ca/ca.pem), and the serials revoked under it. The issuer is public
// (`<mount>/cert/ca`); the revoked list is read with bootgate's later-stage token, whose policy
// may list `<mount>/certs/revoked` and nothing else under the mount. Never throws: a Vault that
// cannot be asked is said so.
import { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { splitCertificates } from "../pki/pem.js";
import { BOOTGATE_IDENTITY } from "../vault/layout.js";
import { NodeVaultPkiEngine } from "../vault/node-vault-pki-engine.js";
import { vaultSerial } from "../vault/pki-engine.js";
import { readTokenFile } from "../vault/token-file.js";
import { vaultClientFor } from "../vault/vault-client.js";
import { describeVaultError } from "../vault/vault-errors.js";
import { caBundlePath } from "../volume/layout.js";
import type { StatusProvider } from "./section.js";

const STATUS_TIMEOUT_MS = 3_000;

export interface IssuerStatus {
  mount: string;
  state: "this boot's intermediate" | "another issuer" | "none" | "unreachable";
  issuer?: { subject: string; notAfter: string; sha256: string };
  /** Serials revoked under this boot's intermediate; undefined when they could not be listed. */
  revoked?: string[];
  error?: string;
}

export const issuerStatus: StatusProvider = async (config) => {
  if (config.pki.issuer !== "vault") return undefined;
  const mount = config.vault.pkiMount;
  const status: IssuerStatus = { mount, state: "unreachable" };
  const bundle = splitCertificates(await readFile(caBundlePath(config.secretsDir), "utf8").catch(() => ""));
  const intermediate = bundle.length > 1 ? new X509Certificate(bundle[bundle.length - 1]!) : undefined;
  const token = (await readTokenFile(config.secretsDir, BOOTGATE_IDENTITY).catch(() => undefined))?.token;
  try {
    const client = await vaultClientFor(config, token, STATUS_TIMEOUT_MS);
    try {
      const held = await new NodeVaultPkiEngine(client, mount).caChain().catch(() => "");
      const first = splitCertificates(held)[0];
      if (!first) status.state = "none";
      else {
        const cert = new X509Certificate(first);
        status.issuer = { subject: cert.subject.split("\n").join(", "), notAfter: new Date(cert.validTo).toISOString(), sha256: cert.fingerprint256 };
        status.state = intermediate && cert.fingerprint256 === intermediate.fingerprint256 ? "this boot's intermediate" : "another issuer";
      }
      if (token && intermediate) {
        const serials = await new NodeVaultPkiEngine(client, mount).revokedSerials();
        const mine = await Promise.all(
          serials.map(async (serial) => {
            const body = (await client.api.read(`${mount}/cert/${vaultSerial(serial)}`).catch(() => undefined)) as
              { data?: { certificate?: string } } | undefined;
            const pem = body?.data?.certificate;
            return pem && new X509Certificate(pem).checkIssued(intermediate) ? serial : undefined;
          }),
        );
        status.revoked = mine.filter((s): s is string => s !== undefined);
      }
    } finally {
      client.close();
    }
  } catch (error) {
    status.state = "unreachable";
    status.error = describeVaultError(error);
  }
  return {
    key: "issuer",
    title: `issuing CA in Vault (${mount}/): ${status.state}${status.error ? ` — ${status.error}` : ""}`,
    columns: ["issuer", "not after", "sha256", "revoked this boot"],
    rows: [
      [
        status.issuer?.subject ?? "-",
        status.issuer?.notAfter ?? "-",
        status.issuer?.sha256 ?? "-",
        status.revoked?.join(", ") || (status.revoked ? "none" : "-"),
      ],
    ],
    data: status,
  };
};
