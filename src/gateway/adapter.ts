// One interface, one adapter per gateway kind (nginx, Kong). proxy-setup reads everything from
// Vault and the route map, then hands it over here; an adapter only applies it.
import type { JwtKey } from "./jwt.js";
import type { Route } from "./route-map.js";
import type { GatewayTls } from "./gateway-tls.js";

export interface GatewayMaterial {
  /** The gateway's certificate, key and chain, as read from Vault. */
  tls: GatewayTls;
  /** What the gateway presents to services: from the stack's CA, even when `tls` is public. */
  clientTls: GatewayTls;
  /** The stack's trust bundle: upstreams are verified against it. */
  caPem: string;
  routes: readonly Route[];
  /** `previous`: the key before the last rotation, still accepted (nginx) until the next one. */
  jwt: { key: JwtKey; issuer: string; previous?: JwtKey | undefined };
}

export interface ApplyResult {
  /** One line for the stage's progress line. */
  summary: string;
}

export interface GatewayAdapter {
  readonly kind: "nginx" | "kong";
  /** Idempotent: applying the same material twice leaves the gateway as after the first. */
  apply(material: GatewayMaterial, signal?: AbortSignal): Promise<ApplyResult>;
}
