// Kong 3.x declarative config (DB-less mode): the entities of kong-entities.ts in one document,
// which Kong loads at start from KONG_DECLARATIVE_CONFIG. Children are nested under their parent
// (SNIs under their certificate, routes under their service, the JWT credential under its
// consumer) so no reference can dangle; the few references left are by id.
//
// Not checked against a real Kong here (it cannot run on this machine): the shape follows Kong's
// declarative schema (kong/db/schema/others/declarative_config.lua); `kong config parse kong.yml`
// in a Kong container is the check to run where Kong exists.
import { Document, parse } from "yaml";
import type { KongEntities } from "./kong-entities.js";

/** Kong 3.x's declarative format (accepted by every 3.x release). */
export const KONG_FORMAT_VERSION = "3.0";

export interface KongDeclarativeDocument {
  _format_version: string;
  ca_certificates: unknown[];
  certificates: unknown[];
  services: unknown[];
  plugins: unknown[];
  consumers: unknown[];
}

export function kongDeclarativeDocument(e: KongEntities): KongDeclarativeDocument {
  const { id: certId, ...certificate } = e.certificate;
  return {
    _format_version: KONG_FORMAT_VERSION,
    ca_certificates: e.caCertificates.map((c) => ({ ...c })),
    certificates: [{ id: certId, ...certificate, snis: e.snis.map((s) => ({ ...s })) }, { ...e.clientCertificate }],
    services: e.services.map((service, i) => {
      const { service: _parent, ...route } = e.routes[i]!;
      return {
        ...service,
        // A top-level entity names a foreign one by its primary key (Kong's declarative schema
        // turns foreign fields into strings there).
        client_certificate: service.client_certificate.id,
        routes: [route],
      };
    }),
    plugins: [{ ...e.jwtPlugin, config: { ...e.jwtPlugin.config } }],
    consumers: [{ ...e.consumer, jwt_secrets: [{ ...e.jwtSecret }] }],
  };
}

/**
 * YAML, byte-identical for the same entities: no line folding (PEM and base64 stay on their
 * lines) and no anchors. It holds private keys: it belongs on the secrets volume only.
 */
export function renderKongDeclarative(e: KongEntities): string {
  const doc = new Document(kongDeclarativeDocument(e), { aliasDuplicateObjects: false });
  doc.commentBefore =
    " Written by bootgate proxy-setup on every boot (Kong DB-less). Do not edit: the next boot\n" +
    " writes it again from Vault and the route map. Holds private keys: keep it on the tmpfs.";
  return doc.toString({ lineWidth: 0 });
}

/** The public part of a written file, for `bootgate status`: the served leaf and the routes. */
export interface KongDeclarativeSummary {
  /** The served certificate's leaf (PEM), the first of its chain. */
  certificatePem: string | undefined;
  routes: string[];
}

export function summarizeKongDeclarative(text: string): KongDeclarativeSummary {
  const doc = parse(text) as Partial<Record<"certificates" | "services", unknown>> | null;
  const certificates = Array.isArray(doc?.certificates) ? (doc.certificates as { cert?: unknown; snis?: unknown }[]) : [];
  // The served certificate is the one with SNIs; the client certificate has none.
  const served = certificates.find((c) => Array.isArray(c.snis)) ?? certificates[0];
  const leaf = typeof served?.cert === "string" ? /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(served.cert)?.[0] : undefined;
  const services = Array.isArray(doc?.services) ? (doc.services as { routes?: { name?: unknown }[] }[]) : [];
  return {
    certificatePem: leaf === undefined ? undefined : leaf + "\n",
    routes: services.flatMap((s) => (Array.isArray(s.routes) ? s.routes.map((r) => String(r.name)) : [])),
  };
}
