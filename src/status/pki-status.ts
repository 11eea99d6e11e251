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
  state: "ok" | "renew soon" | "expired" | "missing" | "unreadable" | "in vault";
  subject?: string;
  sans?: string[];
  notAfter?: string;
  daysLeft?: number;
  serial?: string;
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

export const pkiStatus: StatusProvider = async (config) => {
  const now = Date.now();
  const gateway = gatewayServiceOf(config);
  const ca = await readCert(caBundlePath(config.secretsDir));
  const services: CertificateStatus[] = await Promise.all(
    config.services.map(async (s): Promise<CertificateStatus> => {
      // The gateway's certificate and key go to Vault through gateway-cert, never to the volume.
      if (s === gateway) return { service: s.name, state: "in vault" };
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
      };
    }),
  );
  const caInfo = typeof ca === "string" ? { state: ca } : { subject: oneLine(ca.subject), notAfter: new Date(ca.validTo).toISOString() };
  return {
    key: "certificates",
    title: `certificates (CA ${"subject" in caInfo ? caInfo.subject : caInfo.state})`,
    columns: ["service", "subject", "SANs", "not after", "days left", "state"],
    rows: services.map((c) => [
      c.service,
      c.subject ?? "-",
      c.sans?.join(", ") ?? "-",
      c.notAfter ?? "-",
      c.daysLeft === undefined ? "-" : String(c.daysLeft),
      c.state === "in vault" ? "in Vault (gateway key never on the volume)" : c.state,
    ]),
    data: { ca: caInfo, services },
  };
};
