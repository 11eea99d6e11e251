// `bootgate status` for the PKI: the CA, then per service its certificate's subject, SANs,
// not-after date and days left. Reads only public files (cert.pem, ca.pem); never a key.
import { X509Certificate as NodeCertificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { caBundlePath, servicePath } from "../volume/layout.js";
import { splitCertificates } from "../pki/pem.js";
import { gatewayServiceOf } from "../pki/provision.js";
import type { StatusProvider } from "./section.js";

const DAY_MS = 86_400_000;

export interface CertificateStatus {
  service: string;
  state: "ok" | "renew soon" | "expired" | "missing" | "unreadable" | "in vault" | "remote";
  subject?: string;
  sans?: string[];
  notAfter?: string;
  daysLeft?: number;
  serial?: string;
  /** The issuer's common name (this boot's intermediate, or an imported leaf's CA). */
  issuer?: string;
}

async function readCert(file: string): Promise<NodeCertificate | "missing" | "unreadable"> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return "missing";
  }
  try {
    return new NodeCertificate(splitCertificates(text)[0] ?? text);
  } catch {
    return "unreadable";
  }
}

const oneLine = (name: string) => name.split("\n").join(", ");
const commonName = (name: string) =>
  name
    .split("\n")
    .find((p) => p.startsWith("CN="))
    ?.slice(3) ?? oneLine(name);

/** The bundle's root (its fingerprint is what a pinning client compares) and the issuing intermediate. */
async function bundleInfo(file: string) {
  const text = await readFile(file, "utf8").catch(() => "");
  const certs = splitCertificates(text).flatMap((pem) => {
    try {
      return [new NodeCertificate(pem)];
    } catch {
      return [];
    }
  });
  const root = certs[0];
  const intermediate = certs[certs.length - 1];
  if (!root || !intermediate) return undefined;
  return {
    rootFingerprint: root.fingerprint256,
    issuingCa: { subject: oneLine(intermediate.subject), notAfter: new Date(intermediate.validTo).toISOString() },
  };
}

export const pkiStatus: StatusProvider = async (config) => {
  const now = Date.now();
  const gateway = gatewayServiceOf(config);
  const ca = await readCert(caBundlePath(config.secretsDir));
  const services: CertificateStatus[] = await Promise.all(
    config.services.map(async (s): Promise<CertificateStatus> => {
      // The gateway's certificate and key go to Vault through gateway-cert, never to the volume.
      if (s === gateway) return { service: s.name, state: "in vault" };
      // A remote service's leaf lives on its own host (bootgate enroll), not on this volume.
      if (s.remote) return { service: s.name, state: "remote" };
      const cert = await readCert(servicePath(config.secretsDir, s.name, "cert"));
      if (typeof cert === "string") return { service: s.name, state: cert };
      const notAfter = new Date(cert.validTo);
      const daysLeft = Math.floor((notAfter.getTime() - now) / DAY_MS);
      const msLeft = notAfter.getTime() - now;
      return {
        service: s.name,
        state: msLeft <= 0 ? "expired" : msLeft <= config.pki.renewBeforeMs ? "renew soon" : "ok",
        subject: oneLine(cert.subject),
        sans: (cert.subjectAltName ?? "").split(", ").filter(Boolean),
        notAfter: notAfter.toISOString(),
        daysLeft,
        serial: cert.serialNumber.toLowerCase(),
        issuer: commonName(cert.issuer),
      };
    }),
  );
  const bundle = await bundleInfo(caBundlePath(config.secretsDir));
  const caInfo =
    typeof ca === "string"
      ? { state: ca }
      : { subject: oneLine(ca.subject), notAfter: new Date(ca.validTo).toISOString(), issuer: config.pki.issuer, ...(bundle ?? {}) };
  return {
    key: "certificates",
    title:
      "subject" in caInfo
        ? `certificates (CA ${caInfo.subject}; issuing CA ${caInfo.issuingCa?.subject ?? "-"} until ${caInfo.issuingCa?.notAfter ?? "-"}, ` +
          `${config.pki.issuer === "vault" ? `held by Vault at ${config.vault.pkiMount}/` : "in pki-init's memory"}; root sha256 ${caInfo.rootFingerprint ?? "-"})`
        : `certificates (CA ${caInfo.state})`,
    columns: ["service", "subject", "SANs", "issuer", "not after", "days left", "state"],
    rows: services.map((c) => [
      c.service,
      c.subject ?? "-",
      c.sans?.join(", ") ?? "-",
      c.issuer ?? "-",
      c.notAfter ?? "-",
      c.daysLeft === undefined ? "-" : String(c.daysLeft),
      c.state === "in vault" ? "in Vault (gateway key never on the volume)" : c.state,
    ]),
    data: { ca: caInfo, services },
  };
};
