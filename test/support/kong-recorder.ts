// A stand-in for Kong's Admin API (Kong cannot run on this machine). It records every request
// and holds entities like Kong's database does, checking each request against what Kong 3.x
// documents for these entities (https://docs.konghq.com/gateway/api/admin-oss/latest/):
//   PUT /ca_certificates/{id}       { cert, cert_digest?, tags? }           cert must be a CA
//   PUT /certificates/{id}          { cert, key, cert_alt?, key_alt?, snis?, tags? }  key must match
//   PUT /snis/{name}                { certificate: { id }, tags? }          certificate must exist
//   PUT /services/{name}            { protocol, host, port, path, tls_verify, tls_verify_depth,
//                                     ca_certificates: [uuid], client_certificate: { id }, ... }
//                                   (TLS fields only with protocol https; referenced ids must exist)
//   PUT /routes/{name}              { protocols, paths, strip_path, service: { name | id }, ... }
//   PUT /plugins/{id}               { name, config, service?, route?, consumer?, enabled?, tags? }
//   PUT /consumers/{username}       { username, custom_id?, tags? }
//   PUT /consumers/{c}/jwt/{key}    { key, secret, algorithm, rsa_public_key?, tags? }  consumer must exist
//   GET /{collection}?tags=&size=   { data: [...], next: "/…?offset=…" | null }
//   DELETE /{collection}/{name}     204; a service some route still uses is refused
// Unknown fields are a 400 "schema violation", unknown paths a 404, as Kong answers.
// It also says whether Kong's JWT plugin, as documented, would accept a token (kongWouldAccept).
import { createHmac, createPrivateKey, X509Certificate } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  body: Record<string, unknown> | undefined;
  status: number;
}

type Entity = Record<string, unknown>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const FIELDS: Record<string, string[]> = {
  ca_certificates: ["id", "cert", "cert_digest", "tags"],
  certificates: ["id", "cert", "key", "cert_alt", "key_alt", "snis", "tags"],
  snis: ["id", "name", "certificate", "tags"],
  services: [
    "id",
    "name",
    "retries",
    "protocol",
    "host",
    "port",
    "path",
    "connect_timeout",
    "write_timeout",
    "read_timeout",
    "tags",
    "client_certificate",
    "tls_verify",
    "tls_verify_depth",
    "ca_certificates",
    "enabled",
    "url",
  ],
  routes: [
    "id",
    "name",
    "protocols",
    "methods",
    "hosts",
    "paths",
    "headers",
    "https_redirect_status_code",
    "regex_priority",
    "strip_path",
    "path_handling",
    "preserve_host",
    "request_buffering",
    "response_buffering",
    "snis",
    "sources",
    "destinations",
    "tags",
    "service",
  ],
  plugins: ["id", "name", "config", "service", "route", "consumer", "protocols", "enabled", "tags", "instance_name"],
  consumers: ["id", "username", "custom_id", "tags"],
  jwt_secrets: ["id", "key", "secret", "algorithm", "rsa_public_key", "tags", "consumer"],
};

const JWT_CONFIG = [
  "uri_param_names",
  "cookie_names",
  "header_names",
  "claims_to_verify",
  "key_claim_name",
  "secret_is_base64",
  "anonymous",
  "run_on_preflight",
  "maximum_expiration",
  "realm",
];

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class KongRecorder implements AsyncDisposable {
  readonly requests: RecordedRequest[] = [];
  readonly deleted: string[] = [];
  readonly entities = new Map<string, Map<string, Entity>>(Object.keys(FIELDS).map((k) => [k, new Map()]));
  /** Answer this status (with a message) to the next request whose path starts with the prefix. */
  failNext: { prefix: string; status: number; message: string } | undefined;
  private server!: Server;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<KongRecorder> {
    const rec = new KongRecorder();
    rec.server = createServer((req, res) => {
      let text = "";
      req.setEncoding("utf8");
      req.on("data", (c: string) => (text += c));
      req.on("end", () => {
        const url = new URL(req.url ?? "/", "http://x");
        const path = url.pathname;
        let status = 200;
        let reply: unknown;
        let body: Record<string, unknown> | undefined;
        try {
          body = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
          if (req.headers["content-type"] !== "application/json" && body) throw new Refusal(415, "expected application/json");
          reply = rec.handle(req.method ?? "GET", path, body, url.searchParams);
        } catch (error) {
          status = error instanceof Refusal ? error.status : 400;
          reply = { message: (error as Error).message };
        }
        if (status === 200 && req.method === "DELETE") status = 204;
        rec.requests.push({ method: req.method ?? "", path, body, status });
        res.writeHead(status, { "content-type": "application/json" });
        res.end(status === 204 ? undefined : JSON.stringify(reply));
      });
    });
    await new Promise<void>((resolve) => rec.server.listen(0, "127.0.0.1", resolve));
    rec.port = (rec.server.address() as AddressInfo).port;
    return rec;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }

  table(name: string): Map<string, Entity> {
    return this.entities.get(name)!;
  }

  private handle(method: string, path: string, body: Record<string, unknown> | undefined, query = new URLSearchParams()): unknown {
    if (this.failNext && path.startsWith(this.failNext.prefix)) {
      const { status, message } = this.failNext;
      this.failNext = undefined;
      throw new Refusal(status, message);
    }
    const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    if (method === "GET" && parts.length === 1 && FIELDS[parts[0]!]) {
      // A page of a collection, filtered by tag; `size` and `offset` page through it.
      const tag = query.get("tags");
      const rows = [...this.table(parts[0]!).values()].filter((e) => !tag || ((e.tags as string[] | undefined) ?? []).includes(tag));
      const size = Number(query.get("size") ?? 100);
      const offset = Number(query.get("offset") ?? 0);
      const next = offset + size < rows.length ? `/${parts[0]}?tags=${tag ?? ""}&size=${size}&offset=${offset + size}` : null;
      return { data: rows.slice(offset, offset + size), next };
    }
    if (method === "DELETE" && parts.length === 2 && FIELDS[parts[0]!]) {
      const [table, key] = parts as [string, string];
      const found = this.find(table, key);
      if (!found) throw new Refusal(404, "Not found");
      if (
        table === "services" &&
        [...this.table("routes").values()].some((r) => (r.service as { name?: string }).name === key || (r.service as { id?: string }).id === found.id)
      ) {
        throw new Refusal(400, "an existing 'routes' entity references this 'services' entity");
      }
      this.table(table).delete(key);
      this.deleted.push(`${table}/${key}`);
      return undefined;
    }
    if (method === "GET" && parts.length === 2) {
      const found = this.entities.get(parts[0]!)?.get(parts[1]!);
      if (!found) throw new Refusal(404, "Not found");
      return found;
    }
    if (method !== "PUT") throw new Refusal(405, "Method not allowed");
    if (!body) throw new Refusal(400, "expected a JSON body");
    if (parts.length === 4 && parts[0] === "consumers" && parts[2] === "jwt") {
      const consumer = this.find("consumers", parts[1]!);
      if (!consumer) throw new Refusal(404, "Not found");
      this.checkFields("jwt_secrets", body);
      if (body.key !== undefined && body.key !== parts[3]) throw new Refusal(400, "schema violation (key: must match the key in the path)");
      if (!["HS256", "HS384", "HS512", "RS256", "RS512", "ES256"].includes(String(body.algorithm ?? "HS256"))) {
        throw new Refusal(400, "schema violation (algorithm: expected one of: HS256, HS384, HS512, RS256, RS512, ES256)");
      }
      if (typeof body.secret !== "string") throw new Refusal(400, "schema violation (secret: expected a string)");
      return this.upsert("jwt_secrets", parts[3]!, { ...body, key: parts[3], consumer: { id: consumer.id } });
    }
    if (parts.length !== 2 || !FIELDS[parts[0]!]) throw new Refusal(404, "Not found");
    const [table, key] = parts as [string, string];
    this.checkFields(table, body);
    switch (table) {
      case "ca_certificates": {
        if (!UUID.test(key)) throw new Refusal(400, "ca_certificates are addressed by id (uuid)");
        const cert = parseCert(body.cert, "cert");
        if (!cert.ca) throw new Refusal(400, 'schema violation (cert: certificate does not appear to be a CA because it is missing the "CA" basic constraint)');
        return this.upsert(table, key, body);
      }
      case "certificates": {
        if (!UUID.test(key)) throw new Refusal(400, "certificates are addressed by id (uuid)");
        const cert = parseCert(body.cert, "cert");
        if (typeof body.key !== "string") throw new Refusal(400, "schema violation (key: required field missing)");
        let matches = false;
        try {
          matches = cert.checkPrivateKey(createPrivateKey(body.key));
        } catch {
          throw new Refusal(400, "schema violation (key: invalid key)");
        }
        if (!matches) throw new Refusal(400, "schema violation (certificate does not match key)");
        return this.upsert(table, key, body);
      }
      case "snis": {
        const certId = (body.certificate as { id?: unknown } | undefined)?.id;
        if (typeof certId !== "string" || !this.table("certificates").has(certId)) {
          throw new Refusal(400, "schema violation (certificate: the foreign key does not exist)");
        }
        return this.upsert(table, key, { ...body, name: key });
      }
      case "services": {
        if (typeof body.host !== "string") throw new Refusal(400, "schema violation (host: required field missing)");
        const https = body.protocol === "https";
        for (const f of ["tls_verify", "ca_certificates", "client_certificate"]) {
          if (body[f] !== undefined && !https) throw new Refusal(400, `schema violation (${f}: value must be null)`);
        }
        if (typeof body.path === "string" && !body.path.startsWith("/")) throw new Refusal(400, "schema violation (path: should start with: /)");
        for (const id of (body.ca_certificates as string[] | undefined) ?? []) {
          if (!this.table("ca_certificates").has(id)) throw new Refusal(400, `schema violation (ca_certificates: failed to find CA certificate ${id})`);
        }
        const client = (body.client_certificate as { id?: string } | undefined)?.id;
        if (client !== undefined && !this.table("certificates").has(client)) {
          throw new Refusal(400, "schema violation (client_certificate: the foreign key does not exist)");
        }
        return this.upsert(table, key, { ...body, name: key });
      }
      case "routes": {
        const service = body.service as { name?: string; id?: string } | undefined;
        if (!service || !this.find("services", service.name ?? service.id ?? "")) {
          throw new Refusal(400, "schema violation (service: the foreign key does not exist)");
        }
        const paths = (body.paths as unknown[] | undefined) ?? [];
        if (paths.some((p) => typeof p !== "string" || !p.startsWith("/"))) throw new Refusal(400, "schema violation (paths: should start with: /)");
        if (paths.length === 0 && !body.hosts && !body.methods && !body.headers && !body.snis) {
          throw new Refusal(400, "schema violation (must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is 'https')");
        }
        return this.upsert(table, key, { ...body, name: key });
      }
      case "plugins": {
        if (!UUID.test(key)) throw new Refusal(400, "plugins are addressed by id (uuid)");
        if (body.name === "jwt") {
          const config = (body.config as Record<string, unknown> | undefined) ?? {};
          const unknown = Object.keys(config).filter((k) => !JWT_CONFIG.includes(k));
          if (unknown.length) throw new Refusal(400, `schema violation (config.${unknown[0]}: unknown field)`);
          const claims = (config.claims_to_verify as string[] | undefined) ?? [];
          if (claims.some((c) => c !== "exp" && c !== "nbf")) throw new Refusal(400, "schema violation (config.claims_to_verify: expected one of: exp, nbf)");
        }
        return this.upsert(table, key, body);
      }
      case "consumers": {
        if (body.username !== undefined && body.username !== key) throw new Refusal(400, "schema violation (username: must match the path)");
        return this.upsert(table, key, { ...body, username: key });
      }
      default:
        throw new Refusal(404, "Not found");
    }
  }

  private checkFields(table: string, body: Record<string, unknown>): void {
    const unknown = Object.keys(body).filter((k) => !FIELDS[table]!.includes(k));
    if (unknown.length) throw new Refusal(400, `schema violation (${unknown[0]}: unknown field)`);
  }

  private find(table: string, key: string): Entity | undefined {
    const rows = this.table(table);
    return rows.get(key) ?? [...rows.values()].find((e) => e.id === key);
  }

  private upsert(table: string, key: string, body: Entity): Entity {
    const existing = this.table(table).get(key);
    const id = UUID.test(key) ? key : ((existing?.id as string | undefined) ?? crypto.randomUUID());
    const entity = { ...body, id };
    this.table(table).set(key, entity);
    return entity;
  }

  /** Whether Kong's JWT plugin, as documented, would let this token through. */
  kongWouldAccept(token: string, nowMs = Date.now()): boolean {
    const plugin = [...this.table("plugins").values()].find((p) => p.name === "jwt");
    if (!plugin) return true;
    const config = (plugin.config as Record<string, unknown> | undefined) ?? {};
    const [h, p, s] = token.split(".");
    if (!h || !p || !s) return false;
    let claims: Record<string, unknown>;
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(Buffer.from(h, "base64url").toString()) as Record<string, unknown>;
      claims = JSON.parse(Buffer.from(p, "base64url").toString()) as Record<string, unknown>;
    } catch {
      return false;
    }
    const keyClaim = String(config.key_claim_name ?? "iss");
    const credential = [...this.table("jwt_secrets").values()].find((c) => c.key === claims[keyClaim]);
    if (!credential || credential.algorithm !== header.alg || header.alg !== "HS256") return false;
    const secret = config.secret_is_base64 ? Buffer.from(String(credential.secret), "base64") : Buffer.from(String(credential.secret));
    const mac = createHmac("sha256", secret).update(`${h}.${p}`).digest("base64url");
    if (mac !== s) return false;
    const now = Math.floor(nowMs / 1000);
    const verify = (config.claims_to_verify as string[] | undefined) ?? [];
    if (verify.includes("exp") && !(typeof claims.exp === "number" && claims.exp > now)) return false;
    if (verify.includes("nbf") && !(typeof claims.nbf === "number" && claims.nbf <= now)) return false;
    return true;
  }
}

function parseCert(value: unknown, field: string): X509Certificate {
  if (typeof value !== "string") throw new Refusal(400, `schema violation (${field}: required field missing)`);
  try {
    return new X509Certificate(value);
  } catch {
    throw new Refusal(400, `schema violation (${field}: invalid certificate)`);
  }
}
