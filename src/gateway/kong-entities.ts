// What Kong is told, whichever way it is told: the Admin API adapter PUTs these entities one by
// one, the declarative renderer writes them into one file for Kong in DB-less mode. One function
// decides names, ids, tags, TLS and JWT settings, so the two ways cannot drift apart.
import { createHash, X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import { ConfigError, type ConfigIssue } from "../errors.js";
import type { GatewayMaterial } from "./adapter.js";
import { fullChain } from "./gateway-tls.js";
import type { Route } from "./route-map.js";

export const KONG_TAG = "bootgate";

/** A UUID (version 5 layout) derived from a name, so an entity without a name keeps its id. */
export function stableUuid(name: string): string {
  const h = createHash("sha256").update(`bootgate:${name}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

type Tags = string[];

export interface KongCaCertificate {
  id: string;
  cert: string;
  tags: Tags;
}

export interface KongCertificate {
  id: string;
  cert: string;
  key: string;
  tags: Tags;
}

export interface KongSni {
  name: string;
  tags: Tags;
}

export interface KongService {
  name: string;
  protocol: "https";
  host: string;
  port: number;
  path: string;
  tls_verify: true;
  tls_verify_depth: number;
  ca_certificates: string[];
  client_certificate: { id: string };
  tags: Tags;
}

export interface KongRoute {
  name: string;
  protocols: ["https"];
  paths: string[];
  strip_path: boolean;
  service: { name: string };
  tags: Tags;
}

export interface KongPlugin {
  id: string;
  name: "jwt";
  config: { key_claim_name: string; claims_to_verify: string[]; secret_is_base64: boolean; header_names: string[] };
  tags: Tags;
}

export interface KongConsumer {
  username: string;
  tags: Tags;
}

export interface KongJwtSecret {
  key: string;
  algorithm: "HS256";
  secret: string;
  tags: Tags;
}

export interface KongEntities {
  caCertificates: KongCaCertificate[];
  /** What Kong serves to clients, for each name in `snis`. */
  certificate: KongCertificate;
  snis: KongSni[];
  /** What Kong presents to upstreams (mutual TLS): from the stack's CA even when `certificate` is public. */
  clientCertificate: KongCertificate;
  /** One per route, named after it, in the route map's order. */
  services: KongService[];
  routes: KongRoute[];
  /** Global: every route needs a token. */
  jwtPlugin: KongPlugin;
  consumer: KongConsumer;
  jwtSecret: KongJwtSecret;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

const ipUpstream = (route: Route) => isIP(route.upstreamHost.replace(/^\[|\]$/g, "")) !== 0;
const ipUpstreamMessage = (route: Route) =>
  `Kong verifies an upstream's certificate by the service's host, so the upstream must be named by its service name (https://${route.service}:${route.upstreamPort}), not an IP address`;

const UWSGI_REFUSED = 'expected "https": Kong has no uwsgi upstream; serve this route with gateway.kind nginx, or put the app behind HTTPS';

/**
 * A route map Kong cannot use is bad config: refused with the route named as the route map
 * names it (`routes[0] ("core-data").upstream`), before anything is written (exit 2).
 */
export function assertKongRoutes(routes: readonly Route[], routesFile: string): void {
  const issues: ConfigIssue[] = routes.flatMap((route, i) => {
    const label = `routes[${i}] (${JSON.stringify(route.name)})`;
    if (route.scheme === "uwsgi") return [{ path: `${label}.scheme`, message: UWSGI_REFUSED }];
    return ipUpstream(route) ? [{ path: `${label}.upstream`, message: `expected a service name: ${ipUpstreamMessage(route)}` }] : [];
  });
  if (issues.length > 0) throw new ConfigError(routesFile, issues);
}

/** Throws (before anything is sent or written) on material Kong could not use safely. */
export function kongEntities(material: GatewayMaterial, gateway: string): KongEntities {
  for (const route of material.routes) {
    if (route.scheme === "uwsgi") throw new Error(`route ${route.name}: ${UWSGI_REFUSED}`);
    if (ipUpstream(route)) throw new Error(`route ${route.name}: ${ipUpstreamMessage(route)}`);
  }
  // A fresh array per entity: YAML would otherwise print one shared array as anchor and aliases.
  const tags = () => [KONG_TAG];

  // The stack's CA, one entity per certificate of the bundle: upstreams are verified against it.
  const caCertificates = (material.caPem.match(PEM_CERT) ?? []).map((pem) => ({
    id: stableUuid(`ca:${new X509Certificate(pem).fingerprint256}`),
    cert: pem + "\n",
    tags: tags(),
  }));
  if (caCertificates.length === 0) throw new Error("the stack's CA bundle holds no certificate");
  const caIds = caCertificates.map((c) => c.id);

  const certificate = { id: stableUuid(`certificate:${gateway}`), cert: fullChain(material.tls), key: material.tls.keyPem, tags: tags() };
  const clientCertificate = {
    id: stableUuid(`client-certificate:${gateway}`),
    cert: fullChain(material.clientTls),
    key: material.clientTls.keyPem,
    tags: tags(),
  };

  const services = material.routes.map((route): KongService => ({
    name: route.name,
    protocol: "https",
    host: route.upstreamHost,
    port: route.upstreamPort,
    path: route.upstreamPath,
    tls_verify: true,
    tls_verify_depth: 4,
    ca_certificates: [...caIds],
    client_certificate: { id: clientCertificate.id },
    tags: tags(),
  }));
  const routes = material.routes.map((route): KongRoute => ({
    name: route.name,
    protocols: ["https"],
    paths: [route.path],
    strip_path: true,
    service: { name: route.name },
    tags: tags(),
  }));

  const consumer = `${gateway}-clients`;
  return {
    caCertificates,
    certificate,
    snis: dnsNames(material.tls.certPem).map((name) => ({ name, tags: tags() })),
    clientCertificate,
    services,
    routes,
    // JWT everywhere: Kong finds the credential by the token's `iss` (key_claim_name) and
    // checks exp and nbf. Our secret is raw bytes, so Kong gets it base64 encoded.
    jwtPlugin: {
      id: stableUuid(`plugin:jwt:${gateway}`),
      name: "jwt",
      config: { key_claim_name: "iss", claims_to_verify: ["exp", "nbf"], secret_is_base64: true, header_names: ["authorization"] },
      tags: tags(),
    },
    consumer: { username: consumer, tags: tags() },
    jwtSecret: {
      key: material.jwt.issuer,
      algorithm: "HS256",
      secret: Buffer.from(material.jwt.key.secret, "base64url").toString("base64"),
      tags: tags(),
    },
  };
}

function dnsNames(certificatePem: string): string[] {
  const san = new X509Certificate(certificatePem).subjectAltName ?? "";
  return san
    .split(", ")
    .filter((s) => s.startsWith("DNS:"))
    .map((s) => s.slice(4));
}
