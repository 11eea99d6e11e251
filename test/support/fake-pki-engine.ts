// A PkiEngine for unit tests: it signs with an IssuingCa of the test's (its intermediate plays the
// imported issuer) and refuses names a role does not allow, as Vault's role checks do.
import { X509Certificate } from "node:crypto";
import type { IssuingCa } from "../../src/pki/issuing-ca.js";
import { issueLeaf } from "../../src/pki/leaf-issue.js";
import type { IssueRequest, PkiEngine, PkiIssuer, PkiRole, VaultLeaf } from "../../src/vault/pki-engine.js";

export class FakePkiEngine implements PkiEngine {
  readonly mount = "pki";
  mounted = false;
  issuers = new Map<string, string>();
  default: string | undefined;
  roles = new Map<string, PkiRole>();
  imports: string[] = [];
  issued: string[] = [];
  revoked: string[] = [];
  configuredWith: string | undefined;

  constructor(private readonly ca: IssuingCa) {}

  async ensureMount(): Promise<boolean> {
    const was = this.mounted;
    this.mounted = true;
    return !was;
  }
  async importIssuer(bundlePem: string, issuerCertPem: string): Promise<string> {
    this.imports.push(bundlePem);
    const id = `issuer-${this.issuers.size + 1}`;
    this.issuers.set(id, issuerCertPem);
    return id;
  }
  csrs: string[] = [];
  async generateIntermediateCsr(commonName: string): Promise<string> {
    this.csrs.push(commonName);
    return "-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----\n";
  }
  async installSignedIntermediate(bundlePem: string, issuerCertPem: string): Promise<string> {
    return this.importIssuer(bundlePem, issuerCertPem);
  }
  async defaultIssuer(): Promise<PkiIssuer | undefined> {
    return this.default ? { id: this.default, certPem: this.issuers.get(this.default)! } : undefined;
  }
  async setDefaultIssuer(id: string): Promise<void> {
    this.default = id;
  }
  async configure(address: string): Promise<void> {
    this.configuredWith = address;
  }
  async writeRole(role: PkiRole): Promise<void> {
    this.roles.set(role.name, role);
  }
  async issue(roleName: string, request: IssueRequest): Promise<VaultLeaf> {
    const role = this.roles.get(roleName);
    if (!role) throw new Error(`no role ${roleName}`);
    for (const name of [request.commonName, ...request.altNames])
      if (!role.allowedDomains.includes(name)) throw new Error(`${name} not allowed by ${roleName}`);
    if (request.ipSans.length > 0 && !role.allowIpSans) throw new Error(`IP SANs not allowed by ${roleName}`);
    const leaf = await issueLeaf(this.ca, {
      service: { name: request.commonName, dns: request.altNames.filter((n) => n !== request.commonName), ip: request.ipSans },
      algorithm: "ecdsa-p256",
      validityMs: request.ttlMs,
      now: new Date(),
    });
    this.issued.push(roleName);
    return { certPem: leaf.certPem, keyPem: leaf.keyPem, issuingCaPem: this.ca.chainPem, serial: leaf.serial, notAfter: leaf.notAfter };
  }
  async revoke(certPem: string): Promise<void> {
    this.revoked.push(new X509Certificate(certPem).serialNumber.toLowerCase());
  }
  async caChain(): Promise<string> {
    return this.ca.bundlePem;
  }
  async revokedSerials(): Promise<string[]> {
    return [...this.revoked];
  }
}
