// The Kong adapter: the same material applied through Kong's Admin API. Every entity is
// upserted with PUT by name, or by an id derived from a stable name where Kong has no name
// (certificates, CA certificates, plugins), so running proxy-setup twice changes nothing and a
// rotation replaces the certificate in place.
//
// Kong cannot run on this machine: this adapter is tested against a recording server that
// follows Kong's documented Admin API (test/support/kong-recorder.ts), not against a real Kong.
import { createHash, X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import type { ApplyResult, GatewayAdapter, GatewayMaterial } from "./adapter.js";
import { fullChain } from "./gateway-tls.js";
import type { KongAdminClient, KongResponse } from "./kong-admin-client.js";

export const KONG_TAG = "bootgate";

export interface KongAdapterOptions {
  client: KongAdminClient;
  /** The gateway's service name: entity names and ids derive from it. */
  gateway: string;
}

/** A UUID (version 5 layout) derived from a name, so an entity without a name keeps its id. */
export function stableUuid(name: string): string {
  const h = createHash("sha256").update(`bootgate:${name}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export class KongAdapter implements GatewayAdapter {
  readonly kind = "kong" as const;

  constructor(private readonly options: KongAdapterOptions) {}

  async apply(material: GatewayMaterial, signal?: AbortSignal): Promise<ApplyResult> {
    const { gateway } = this.options;
    for (const route of material.routes) {
      if (isIP(route.upstreamHost.replace(/^\[|\]$/g, "")) !== 0) {
        throw new Error(
          `route ${route.name}: Kong verifies an upstream's certificate by the service's host, so the upstream must be named by its service name (https://${route.service}:${route.upstreamPort}), not an IP address`,
        );
      }
    }
    const tags = [KONG_TAG];
    const step = async (path: string, body: Record<string, unknown>) => {
      signal?.throwIfAborted();
      expectOk(await this.options.client.put(path, body), path);
    };

    // The stack's CA, one entity per certificate of the bundle: upstreams are verified against it.
    const caIds: string[] = [];
    for (const pem of material.caPem.match(PEM_CERT) ?? []) {
      const fingerprint = new X509Certificate(pem).fingerprint256;
      const id = stableUuid(`ca:${fingerprint}`);
      await step(`/ca_certificates/${id}`, { cert: pem + "\n", tags });
      caIds.push(id);
    }
    if (caIds.length === 0) throw new Error("the stack's CA bundle holds no certificate");

    // The gateway's certificate, served for each of its names and presented to upstreams.
    const certId = stableUuid(`certificate:${gateway}`);
    await step(`/certificates/${certId}`, { cert: fullChain(material.tls), key: material.tls.privateKey, tags });
    const names = dnsNames(material.tls.certificate);
    for (const name of names) await step(`/snis/${encodeURIComponent(name)}`, { certificate: { id: certId }, tags });
    // What Kong presents to services: from the stack's CA even when the served one is public.
    const clientCertId = stableUuid(`client-certificate:${gateway}`);
    await step(`/certificates/${clientCertId}`, { cert: fullChain(material.clientTls), key: material.clientTls.privateKey, tags });

    for (const route of material.routes) {
      await step(`/services/${route.name}`, {
        protocol: "https",
        host: route.upstreamHost,
        port: route.upstreamPort,
        path: route.upstreamPath,
        tls_verify: true,
        tls_verify_depth: 4,
        ca_certificates: caIds,
        client_certificate: { id: clientCertId },
        tags,
      });
      await step(`/routes/${route.name}`, {
        protocols: ["https"],
        paths: [route.path],
        strip_path: true,
        service: { name: route.name },
        tags,
      });
    }

    // The route map is the whole truth: what bootgate made before and the map no longer names goes.
    const pruned = [
      ...(await this.prune("routes", new Set(material.routes.map((r) => r.name)), signal)),
      ...(await this.prune("services", new Set(material.routes.map((r) => r.name)), signal)),
      ...(await this.prune("snis", new Set(names), signal)),
    ];

    // JWT everywhere: Kong finds the credential by the token's `iss` (key_claim_name) and
    // checks exp and nbf. Our secret is raw bytes, so Kong gets it base64 encoded.
    await step(`/plugins/${stableUuid(`plugin:jwt:${gateway}`)}`, {
      name: "jwt",
      config: { key_claim_name: "iss", claims_to_verify: ["exp", "nbf"], secret_is_base64: true, header_names: ["authorization"] },
      tags,
    });
    const consumer = `${gateway}-clients`;
    await step(`/consumers/${consumer}`, { username: consumer, tags });
    await step(`/consumers/${consumer}/jwt/${encodeURIComponent(material.jwt.issuer)}`, {
      key: material.jwt.issuer,
      algorithm: "HS256",
      secret: Buffer.from(material.jwt.key.secret, "base64url").toString("base64"),
      tags,
    });
    return { summary: `Kong configured (${material.routes.length} routes, ${names.length} SNIs${pruned.length ? `, removed ${pruned.join(", ")}` : ""})` };
  }

  /** Deletes entities tagged by bootgate whose name is not in `keep`; returns what it removed. */
  private async prune(collection: "routes" | "services" | "snis", keep: Set<string>, signal?: AbortSignal): Promise<string[]> {
    const names: string[] = [];
    let next: string | null = `/${collection}?tags=${KONG_TAG}&size=1000`;
    while (next) {
      signal?.throwIfAborted();
      const res = await this.options.client.get(next);
      expectOk(res, `/${collection}`, "GET");
      const page = res.body as { data?: { name?: unknown }[]; next?: unknown };
      for (const entity of page.data ?? []) if (typeof entity.name === "string" && !keep.has(entity.name)) names.push(entity.name);
      next = typeof page.next === "string" && page.next !== "" ? page.next : null;
    }
    for (const name of names) {
      const res = await this.options.client.delete(`/${collection}/${encodeURIComponent(name)}`);
      if (res.status !== 404) expectOk(res, `/${collection}/${name}`, "DELETE");
    }
    return names.map((n) => `${collection.replace(/s$/, "")} ${n}`);
  }
}

function dnsNames(certificatePem: string): string[] {
  const san = new X509Certificate(certificatePem).subjectAltName ?? "";
  return san
    .split(", ")
    .filter((s) => s.startsWith("DNS:"))
    .map((s) => s.slice(4));
}

function expectOk(res: KongResponse, path: string, method = "PUT"): void {
  if (res.status >= 200 && res.status < 300) return;
  // Kong's own message only: the request body carried the key and must not be echoed.
  const message = typeof res.body === "object" && res.body !== null ? (res.body as { message?: unknown }).message : undefined;
  const text = typeof message === "string" ? message.slice(0, 300) : `HTTP ${res.status}`;
  throw Object.assign(new Error(`Kong Admin API refused ${method} ${path.replace(/\/jwt\/.*/, "/jwt/…")}: ${res.status} ${text}`), {
    transient: res.status >= 500,
  });
}
