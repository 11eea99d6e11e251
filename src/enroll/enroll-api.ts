// The enrollment API's requests (served by enroll-listener.ts):
//   GET  /ca/cert  the trust bundle, the root's fingerprint and, with a PSK, a statement signed with
//                  the PSK-derived key naming the bundle's SHA-256; over HTTPS also the parameters a
//                  client needs to make its request (key algorithm, validity, renewal point)
//   POST /ca/sign  { service, csr } with one of: `Authorization: Bearer <one-time token>`,
//                  `Authorization: PSK <request signed with the PSK-derived key>`, or (renewal) the
//                  client's current certificate over mutual TLS. Answers { certificate, chain, ca }.
// Only services marked remote enroll. Every refusal is logged with its reason, never with a token.
import type { IncomingMessage, ServerResponse } from "node:http";
import { X509Certificate } from "node:crypto";
import type { TLSSocket } from "node:tls";
import type { Config } from "../config/normalize.js";
import type { ServiceConfig } from "../config/schema.js";
import { checkCsr, MAX_CSR_BYTES } from "./csr-policy.js";
import type { CsrSigner } from "./csr-signer.js";
import type { EnrollKey, EnrollStore } from "./enroll-store.js";
import { checkEnrollToken } from "./enroll-token.js";
import type { Transport } from "./enroll-listener.js";
import { PBKDF2_ITERATIONS } from "./psk-key.js";
import { checkPskRequest, signBundleStatement } from "./psk-statement.js";
import { rateLimiter } from "./rate-limiter.js";
import { sha256Hex, rootFingerprint } from "./ca-bundle.js";

const MAX_BODY_BYTES = MAX_CSR_BYTES + 1024;
/** The signing key is read from Vault again after this long, or at once for an unknown key id. */
const KEY_CACHE_MS = 30_000;

export interface EnrollApiContext {
  config: Config;
  store: EnrollStore;
  signer: CsrSigner;
  /** The current trust bundle (ca/ca.pem). */
  bundle(): string;
  psk?: { key: Buffer; salt: Buffer } | undefined;
  log(line: string): void;
  now?: () => number;
  /** Sees every request body the API reads (tests check that no private key ever arrives). */
  observeBody?: ((path: string, body: string) => void) | undefined;
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function enrollApi(ctx: EnrollApiContext) {
  const now = ctx.now ?? Date.now;
  const enroll = ctx.config.agent.enroll!;
  const perAddress = rateLimiter(enroll.perAddressPerMinute, 60_000);
  const perService = rateLimiter(enroll.perServicePerMinute, 60_000);
  const remote = new Map(ctx.config.services.filter((s) => s.remote).map((s) => [s.name, s]));
  const seenPskRequests = new Map<string, number>();
  let cachedKey: { key: EnrollKey | undefined; at: number } | undefined;

  const enrollKey = async (kid: string | undefined): Promise<EnrollKey | undefined> => {
    if (!cachedKey || now() - cachedKey.at > KEY_CACHE_MS || (kid !== undefined && cachedKey.key?.keyId !== kid)) {
      cachedKey = { key: await ctx.store.readKey(), at: now() };
    }
    return cachedKey.key;
  };

  const caCert = (transport: Transport) => {
    const bundle = ctx.bundle();
    const body: Record<string, unknown> = { bundle, fingerprint: rootFingerprint(bundle) };
    if (ctx.psk) {
      body.psk = {
        salt: ctx.psk.salt.toString("base64url"),
        iterations: PBKDF2_ITERATIONS,
        statement: signBundleStatement(ctx.psk.key, sha256Hex(bundle), now()),
      };
    }
    // Parameters are only worth something over a connection the client has verified.
    if (transport !== "plain") {
      body.keyAlgorithm = ctx.config.pki.keyAlgorithm;
      body.validityMs = ctx.config.pki.validityMs;
      body.renewBeforeMs = ctx.config.pki.renewBeforeMs;
    }
    return body;
  };

  /** Who may ask for what: the service the credentials are for. */
  const authenticate = async (req: IncomingMessage, transport: Transport, service: string): Promise<{ how: string; jti?: string }> => {
    if (transport === "mtls") {
      const peer = (req.socket as TLSSocket).getPeerX509Certificate?.();
      if (!peer) throw new Refusal(401, "no client certificate");
      const cn = /(?:^|\n)CN=([^\n]+)/.exec(peer.subject)?.[1];
      if (cn !== service) throw new Refusal(403, `the client certificate is ${cn ?? "nameless"}'s, not ${service}'s`);
      const serial = peer.serialNumber.toLowerCase();
      if (await ctx.signer.isRevoked(serial)) throw new Refusal(403, `the client certificate (serial ${serial}) is revoked`);
      return { how: `renewal with serial ${serial}` };
    }
    const header = req.headers.authorization ?? "";
    const [scheme, credential] = header.split(" ", 2);
    if (!credential) throw new Refusal(401, "no credentials: a one-time token (`bootgate token --enroll`), the PSK, or the current certificate (renewal)");
    if (scheme === "Bearer") {
      const kid = (() => {
        try {
          return (JSON.parse(Buffer.from(credential.split(".")[0] ?? "", "base64url").toString()) as { kid?: string }).kid;
        } catch {
          return undefined;
        }
      })();
      const key = await enrollKey(kid);
      if (!key) throw new Refusal(401, "no enrollment token was ever made for this stack");
      const verdict = checkEnrollToken(credential, key, now());
      if (!verdict.ok) throw new Refusal(401, `enrollment token refused: ${verdict.reason}`);
      if (verdict.claims.sub !== service) throw new Refusal(403, `the enrollment token is for ${verdict.claims.sub}, not ${service}`);
      return { how: "one-time token", jti: verdict.claims.jti };
    }
    if (scheme === "PSK") {
      if (!ctx.psk) throw new Refusal(401, "no PSK is configured (agent.enroll.psk)");
      const verdict = checkPskRequest(credential, ctx.psk.key, now());
      if (!verdict.ok) throw new Refusal(401, `PSK request refused: ${verdict.reason}`);
      if (verdict.claims.sub !== service) throw new Refusal(403, `the PSK request is for ${verdict.claims.sub}, not ${service}`);
      for (const [jti, exp] of seenPskRequests) if (exp * 1000 < now()) seenPskRequests.delete(jti);
      if (seenPskRequests.has(verdict.claims.jti)) throw new Refusal(401, "PSK request replayed");
      seenPskRequests.set(verdict.claims.jti, verdict.claims.exp);
      return { how: "PSK" };
    }
    throw new Refusal(401, `unknown authorization scheme \`${scheme ?? ""}\` (Bearer or PSK)`);
  };

  const sign = async (req: IncomingMessage, transport: Transport): Promise<{ body: Record<string, unknown>; service: string; how: string }> => {
    const raw = await readBody(req);
    ctx.observeBody?.("/ca/sign", raw);
    let parsed: { service?: unknown; csr?: unknown };
    try {
      parsed = JSON.parse(raw) as typeof parsed;
    } catch {
      throw new Refusal(400, "expected a JSON body { service, csr }");
    }
    const name = typeof parsed.service === "string" ? parsed.service : "";
    const service: ServiceConfig | undefined = remote.get(name);
    if (!service) throw new Refusal(403, `\`${name.slice(0, 64)}\` is not a service marked remote`);
    if (!perService.take(service.name, now())) throw new Refusal(429, `too many signing requests for ${service.name}`);
    const who = await authenticate(req, transport, service.name);
    const verdict = await checkCsr(typeof parsed.csr === "string" ? parsed.csr : "", service, ctx.config.pki.keyAlgorithm);
    if (!verdict.ok) throw new Refusal(400, `certificate request refused: ${verdict.reason}`);
    // The one use is recorded before Vault signs: a failure after it costs the token, never a second leaf.
    if (who.jti !== undefined) {
      const use = await ctx.store.useToken(who.jti, service.name, now());
      if (!use.ok) throw new Refusal(401, `enrollment token refused: ${use.reason}`);
    }
    const leaf = await ctx.signer.sign(service.name, parsed.csr as string, verdict.names.commonName, ctx.config.pki.validityMs);
    const serial = new X509Certificate(leaf.certPem).serialNumber.toLowerCase();
    return {
      body: { certificate: leaf.certPem, chain: leaf.chainPem, ca: ctx.bundle(), serial },
      service: service.name,
      how: `${who.how}, serial ${serial}`,
    };
  };

  return async (req: IncomingMessage, res: ServerResponse, transport: Transport, address: string): Promise<void> => {
    const path = (req.url ?? "/").split("?")[0];
    const answer = (status: number, body: Record<string, unknown>): void =>
      void res
        .writeHead(status, { "content-type": "application/json", ...(transport === "plain" ? { connection: "close" } : {}) })
        .end(JSON.stringify(body) + "\n");
    const refuse = (status: number, reason: string, service?: string) => {
      ctx.log(`enroll: refused ${req.method} ${path} from ${address}${service ? ` for ${service}` : ""}: ${reason}`);
      answer(status, { error: reason });
    };
    try {
      if (!perAddress.take(address, now())) return refuse(429, "too many requests from this address");
      if (req.method === "GET" && path === "/ca/cert") return answer(200, caCert(transport));
      // In the clear nothing else is answered, and no body is read: a token or CSR sent here is never looked at.
      if (transport === "plain") return refuse(400, "use https: only GET /ca/cert is served in the clear");
      if (req.method === "POST" && path === "/ca/sign") {
        const signed = await sign(req, transport);
        ctx.log(`enroll: signed a leaf for ${signed.service} (${signed.how}) for ${address}`);
        return answer(200, signed.body);
      }
      const scheme = (req.headers.authorization ?? "").split(" ")[0];
      if (scheme === "PSK") return refuse(403, "the PSK allows enrollment only (POST /ca/sign)");
      return refuse(404, "not found: GET /ca/cert or POST /ca/sign");
    } catch (error) {
      if (error instanceof Refusal) return refuse(error.status, error.message);
      const message = error instanceof Error ? error.message : String(error);
      ctx.log(`enroll: ${req.method} ${path} from ${address} failed: ${message}`);
      if (!res.headersSent) answer(502, { error: `the agent could not complete the request: ${message}` });
    }
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Refusal(413, `a body larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.once("error", reject);
  });
}
