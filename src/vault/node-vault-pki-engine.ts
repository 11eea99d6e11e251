// The real PkiEngine: OpenBao's PKI secrets engine through node-vault, with bootgate's (or a
// service's) token. Every failure names the address and the path, never a request body.
import type { PkiEngine, PkiIssuer, PkiRole, IssueRequest, VaultLeaf } from "./pki-engine.js";
import { plainSerial } from "./pki-engine.js";
import { enableOnce } from "./resent-enable.js";
import type { VaultClient } from "./vault-client.js";
import { vaultCall, vaultStatusCode } from "./vault-errors.js";

const seconds = (ms: number) => `${Math.max(1, Math.floor(ms / 1000))}s`;
const pemOf = (text: string) => (text.endsWith("\n") ? text : `${text}\n`);
/** Leaves are dated back like pki-init's (src/pki/ephemeral-ca.ts BACKDATE_MS), for peers whose clock lags. */
const NOT_BEFORE = "300s";

interface MountInfo {
  type: string;
}

export class NodeVaultPkiEngine implements PkiEngine {
  constructor(
    private readonly client: VaultClient,
    readonly mount: string,
  ) {}

  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return vaultCall(this.client.address, what, fn);
  }

  async ensureMount(maxTtlMs: number): Promise<boolean> {
    const { api } = this.client;
    const path = `sys/mounts/${this.mount}`;
    let existing: MountInfo | undefined;
    try {
      const body = (await api.read(path)) as { data?: MountInfo } & MountInfo;
      existing = body.data ?? body;
    } catch (error) {
      if (vaultStatusCode(error) !== 400) await this.call(`read ${path}`, () => Promise.reject(error));
    }
    if (existing) {
      if (existing.type !== "pki")
        throw new Error(`Vault at ${this.client.address}: mount \`${this.mount}/\` is ${existing.type}, expected pki (vault.pkiMount)`);
      return false;
    }
    await enableOnce(
      this.client,
      `enable pki at ${this.mount}/`,
      () => api.write(path, { type: "pki", config: { max_lease_ttl: seconds(maxTtlMs) } }),
      async () => {
        const body = (await api.read(path)) as { data?: MountInfo } & MountInfo;
        return (body.data ?? body).type === "pki";
      },
    );
    return true;
  }

  importIssuer(bundlePem: string, issuerCertPem: string): Promise<string> {
    return this.writeIssuers(`${this.mount}/issuers/import/bundle`, { pem_bundle: bundlePem }, issuerCertPem);
  }

  async installSignedIntermediate(bundlePem: string, issuerCertPem: string): Promise<string> {
    const id = await this.writeIssuers(`${this.mount}/intermediate/set-signed`, { certificate: bundlePem }, issuerCertPem);
    // The operator's root decides the intermediate's lifetime: a leaf that would outlive it is cut
    // at its end (as pki-init's are), not refused.
    const path = `${this.mount}/issuer/${id}`;
    await this.call(`write ${path}`, () => this.client.api.write(path, { leaf_not_after_behavior: "truncate" }));
    return id;
  }

  async generateIntermediateCsr(commonName: string, keyType: PkiRole["keyType"], keyBits: number): Promise<string> {
    const path = `${this.mount}/intermediate/generate/internal`;
    const body = (await this.call(`write ${path}`, () =>
      this.client.api.write(path, { common_name: commonName, key_type: keyType, ...(keyType === "ed25519" ? {} : { key_bits: keyBits }), format: "pem" }),
    )) as { data: { csr: string } };
    return pemOf(body.data.csr);
  }

  private async writeIssuers(path: string, data: Record<string, unknown>, issuerCertPem: string): Promise<string> {
    const body = (await this.call(`write ${path}`, () => this.client.api.write(path, data))) as {
      data?: { imported_issuers?: string[] | null; existing_issuers?: string[] | null };
    };
    // A rerun imports the same bundle again: Vault then lists it among the existing issuers.
    const ids = [...(body.data?.imported_issuers ?? []), ...(body.data?.existing_issuers ?? [])];
    for (const id of ids) {
      const issuer = await this.readIssuer(id);
      if (issuer && issuer.certPem.trim() === issuerCertPem.trim()) return id;
    }
    throw new Error(`Vault at ${this.client.address}: ${path} did not return the issuer it was given`);
  }

  private async readIssuer(ref: string): Promise<PkiIssuer | undefined> {
    const path = `${this.mount}/issuer/${ref}`;
    try {
      const body = (await this.client.api.read(path)) as { data: { issuer_id: string; certificate: string } };
      return { id: body.data.issuer_id, certPem: pemOf(body.data.certificate) };
    } catch (error) {
      // No default issuer yet: 400 ("no default issuer currently configured") or 404.
      const status = vaultStatusCode(error);
      if (status === 400 || status === 404 || status === 500) return undefined;
      return this.call(`read ${path}`, () => Promise.reject(error));
    }
  }

  defaultIssuer(): Promise<PkiIssuer | undefined> {
    return this.readIssuer("default");
  }

  async setDefaultIssuer(id: string): Promise<void> {
    const path = `${this.mount}/config/issuers`;
    await this.call(`write ${path}`, () => this.client.api.write(path, { default: id }));
  }

  async configure(vaultAddress: string): Promise<void> {
    const base = `${vaultAddress.replace(/\/+$/, "")}/v1/${this.mount}`;
    const writes: [string, Record<string, unknown>][] = [
      [`${this.mount}/config/crl`, { auto_rebuild: true, ocsp_disable: false, disable: false, expiry: "72h" }],
      [`${this.mount}/config/urls`, { issuing_certificates: [`${base}/ca`], crl_distribution_points: [`${base}/crl`], ocsp_servers: [`${base}/ocsp`] }],
      [
        `${this.mount}/config/auto-tidy`,
        { enabled: true, interval_duration: "12h", tidy_cert_store: true, tidy_revoked_certs: true, tidy_expired_issuers: true, safety_buffer: "72h" },
      ],
    ];
    for (const [path, data] of writes) await this.call(`write ${path}`, () => this.client.api.write(path, data));
  }

  async writeRole(role: PkiRole): Promise<void> {
    const path = `${this.mount}/roles/${role.name}`;
    await this.call(`write ${path}`, () =>
      this.client.api.write(path, {
        issuer_ref: "default",
        allowed_domains: role.allowedDomains,
        allow_bare_domains: true,
        allow_subdomains: false,
        allow_glob_domains: false,
        allow_wildcard_certificates: false,
        allow_localhost: false,
        allow_any_name: false,
        enforce_hostnames: true,
        allow_ip_sans: role.allowIpSans,
        allowed_uri_sans: [],
        allowed_other_sans: [],
        server_flag: true,
        client_flag: true,
        code_signing_flag: false,
        email_protection_flag: false,
        key_type: role.keyType,
        key_bits: role.keyBits,
        key_usage: role.keyType === "rsa" ? ["DigitalSignature", "KeyEncipherment"] : ["DigitalSignature"],
        ttl: seconds(role.ttlMs),
        max_ttl: seconds(role.ttlMs),
        not_before_duration: NOT_BEFORE,
        require_cn: true,
        no_store: false,
        generate_lease: false,
      }),
    );
  }

  async issue(role: string, request: IssueRequest): Promise<VaultLeaf> {
    const path = `${this.mount}/issue/${role}`;
    const body = (await this.call(`write ${path}`, () =>
      this.client.api.write(path, {
        common_name: request.commonName,
        alt_names: request.altNames.join(","),
        ip_sans: request.ipSans.join(","),
        ttl: seconds(request.ttlMs),
        format: "pem",
        private_key_format: "pkcs8",
        exclude_cn_from_sans: false,
      }),
    )) as { data: { certificate: string; private_key: string; issuing_ca: string; serial_number: string; expiration: number } };
    const d = body.data;
    return {
      certPem: pemOf(d.certificate),
      keyPem: pemOf(d.private_key),
      issuingCaPem: pemOf(d.issuing_ca),
      serial: plainSerial(d.serial_number),
      notAfter: new Date(d.expiration * 1000),
    };
  }

  async revoke(certPem: string): Promise<void> {
    const path = `${this.mount}/revoke`;
    await this.call(`write ${path}`, () => this.client.api.write(path, { certificate: certPem.trim() }));
    // With auto-rebuild on, a revocation waits for the next periodic rebuild; a client checking
    // the CRL must see this one now.
    const rotate = `${this.mount}/crl/rotate`;
    await this.call(`read ${rotate}`, () => this.client.api.read(rotate));
  }

  async caChain(): Promise<string> {
    const path = `${this.mount}/cert/ca_chain`;
    const body = (await this.call(`read ${path}`, () => this.client.api.read(path))) as { data: { ca_chain?: string; certificate?: string } };
    return pemOf(body.data.ca_chain ?? body.data.certificate ?? "");
  }

  async revokedSerials(): Promise<string[]> {
    const path = `${this.mount}/certs/revoked`;
    try {
      const body = (await this.client.api.list(path)) as { data?: { keys?: string[] } };
      return (body.data?.keys ?? []).map(plainSerial);
    } catch (error) {
      if (vaultStatusCode(error) === 404) return [];
      return this.call(`list ${path}`, () => Promise.reject(error));
    }
  }
}
