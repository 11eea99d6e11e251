// Where things live in Vault and on the volume — the contract between secretstore-setup (which
// makes tokens and policies) and the stages after it (db-seed, gateway-cert, proxy-setup).
//
// KV v2 under `vault.kvMount` (default `secret`). Each service owns `<mount>/data/<service>/*`;
// its policy grants read/write there and nothing else. Known keys:
//   <service>/database   db-seed: { username, password, host, port, database, sslmode: "verify-full" }
//   <gateway>/tls        gateway-cert: { certificate, private_key, chain, fingerprint_sha256, source, not_after }
//   <gateway>/client-tls gateway-cert: the same shape; always from the stack's CA (mutual TLS to services)
//   <gateway>/jwt        proxy-setup: the JWT signing key { secret, algorithm: "HS256", key_id }
//
// The later stages run after the root token is gone: secretstore-setup gives bootgate itself a
// token (policy `bootgate-init`: read/write every service's KV path, nothing under sys/),
// written to <secretsDir>/bootgate/token.json, 0600, root-owned, on tmpfs like every token.
import { BOOTGATE_DIR } from "../volume/layout.js";

/** bootgate's own identity in Vault; its token file sits in the folder of the same name. */
export const BOOTGATE_IDENTITY = BOOTGATE_DIR;

/** The body of <secretsDir>/<service>/token.json. */
export interface TokenFile {
  token: string;
  accessor: string;
  /** Vault's address and the name its certificate is verified by. */
  address: string;
  serverName: string;
  kvMount: string;
  /** KV v2 path prefix this token may use, e.g. `core-data` (API path `<mount>/data/core-data/...`). */
  kvPrefix: string;
  policies: string[];
  bootId: string;
  issuedAt: string;
}

/** The KV key (relative to the mount) where a service keeps `name`. */
export const serviceKey = (service: string, name: string) => `${service}/${name}`;
