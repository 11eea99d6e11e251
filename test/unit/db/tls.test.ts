import type { PeerCertificate } from "node:tls";
import { describe, expect, it } from "vitest";
import { verifyFullSsl } from "../../../src/db/tls.js";

const cert = (san: string) => ({ subject: { CN: "postgres" }, subjectaltname: san }) as unknown as PeerCertificate;

describe("verifyFullSsl", () => {
  it("should verify the server by its service name whatever host pg connects to", () => {
    const ssl = verifyFullSsl("ca", "postgres");
    expect(ssl.rejectUnauthorized).toBe(true);
    expect(ssl.servername).toBe("postgres");
    expect(ssl.checkServerIdentity!("db.example.internal", cert("DNS:postgres, IP Address:127.0.0.1"))).toBeUndefined();
  });

  it("should refuse a certificate made for another service even when the host matches it", () => {
    const ssl = verifyFullSsl("ca", "postgres");
    const error = ssl.checkServerIdentity!("vault", cert("DNS:vault"));
    expect(error).toBeInstanceOf(Error);
    expect(String(error?.message)).toMatch(/postgres/);
  });
});
