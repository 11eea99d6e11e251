// The enrollee's side (`bootgate enroll`). Order matters, and is the point of the design
// (docs/enroll.md): the bundle is fetched in the clear and checked by the pin or the PSK before
// anything else; every request that carries a token, a PSK request or a CSR then goes over HTTPS
// that Node verifies against that bundle, by --server-name. The key is made here, in memory, and
// only the CSR leaves; the answer is checked (our key, our names, issued by the bundle's CA)
// before cert.pem, key.pem (0600) and ca.pem are written, atomically, in the volume's layout.
import { request as httpRequest } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";
import { isIP, connect as netConnect } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { createPublicKey, X509Certificate } from "node:crypto";
import { join } from "node:path";
import type { KeyAlgorithm } from "../config/sections/pki.js";
import { ensureDir, writeFilesAtomic } from "../fs/atomic-write.js";
import { splitCertificates } from "../pki/pem.js";
import { SERVICE_FILES } from "../volume/layout.js";
import { checkBundle } from "./ca-bundle.js";
import { RENEWAL_MARKER } from "./enroll-listener.js";
import { makeCsr } from "./make-csr.js";
import { derivePskKey } from "./psk-key.js";
import { checkBundleStatement, signPskRequest } from "./psk-statement.js";

export type Trust = { fingerprint: string } | { psk: Buffer };

export interface EnrollTarget {
  /** host and port of the agent's enrollment listener (from --server). */
  host: string;
  port: number;
  /** The name the agent's certificate is verified by (--server-name, default `bootgate`). */
  serverName: string;
}

export interface TrustedCa {
  bundlePem: string;
  /** PSK-derived key for this agent's salt, when trusting by PSK. */
  pskKey?: Buffer;
}

export interface CaParameters {
  keyAlgorithm: KeyAlgorithm;
  validityMs: number;
  renewBeforeMs: number;
}

export interface EnrolledLeaf {
  certPem: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

export class EnrollError extends Error {}

const MAX_RESPONSE_BYTES = 256 * 1024;
const TIMEOUT_MS = 15_000;

function collect(res: import("node:http").IncomingMessage): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_RESPONSE_BYTES) res.destroy(new EnrollError("the agent's answer is too large"));
      else chunks.push(c);
    });
    res.once("error", reject);
    res.once("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      try {
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> });
      } catch {
        reject(new EnrollError(`the agent answered HTTP ${res.statusCode} with something that is not JSON`));
      }
    });
  });
}

/** `GET /ca/cert` in the clear: nothing is sent but the request line. */
function fetchClear(target: EnrollTarget): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: target.host, port: target.port, path: "/ca/cert", method: "GET", timeout: TIMEOUT_MS, agent: false }, (res) =>
      collect(res).then(({ status, body }) => (status === 200 ? resolve(body) : reject(new EnrollError(`GET /ca/cert answered HTTP ${status}`))), reject),
    );
    req.once("timeout", () => req.destroy(new EnrollError(`no answer from ${target.host}:${target.port} within ${TIMEOUT_MS / 1000}s`)));
    req.once("error", (error) =>
      reject(error instanceof EnrollError ? error : new EnrollError(`cannot reach ${target.host}:${target.port}: ${error.message}`)),
    );
    req.end();
  });
}

/** Step 1: the bundle, trusted only once the pin or the PSK statement says so. */
export async function fetchTrustedCa(target: EnrollTarget, trust: Trust): Promise<TrustedCa> {
  const body = await fetchClear(target);
  const bundle = typeof body.bundle === "string" ? body.bundle : "";
  if ("fingerprint" in trust) {
    const verdict = checkBundle(bundle, { fingerprint: trust.fingerprint });
    if (!verdict.ok) throw new EnrollError(`the CA served by ${target.host}:${target.port} is not the one pinned by --fingerprint: ${verdict.reason}`);
    return { bundlePem: verdict.bundlePem };
  }
  const psk = body.psk as { salt?: unknown; iterations?: unknown; statement?: unknown } | undefined;
  if (!psk || typeof psk.salt !== "string" || typeof psk.iterations !== "number" || typeof psk.statement !== "string")
    throw new EnrollError(`${target.host}:${target.port} serves no PSK statement with its bundle (is agent.enroll.psk set?)`);
  let key: Buffer;
  try {
    key = await derivePskKey(trust.psk, Buffer.from(psk.salt, "base64url"), psk.iterations);
  } catch (error) {
    throw new EnrollError(`the PSK statement asks for ${String(psk.iterations)} PBKDF2 iterations: ${(error as Error).message}`);
  }
  const statement = checkBundleStatement(psk.statement, key, Date.now());
  if (!statement.ok) throw new EnrollError(`the bundle's PSK statement does not verify with --psk-file (${statement.reason}): a wrong PSK, or not this stack`);
  const verdict = checkBundle(bundle, { bundleSha256: statement.claims.bundleSha256 });
  if (!verdict.ok) throw new EnrollError(`the CA served by ${target.host}:${target.port} is not the one its PSK statement names: ${verdict.reason}`);
  return { bundlePem: verdict.bundlePem, pskKey: key };
}

/** An HTTPS request verified against the trusted bundle by --server-name; with `identity`, over mutual TLS (exported for tests). */
export function enrollRequest(
  target: EnrollTarget,
  ca: TrustedCa,
  method: "GET" | "POST",
  path: string,
  options: { body?: unknown; authorization?: string; identity?: { certPem: string; keyPem: string } } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
  const tls: RequestOptions = { host: target.host, port: target.port, servername: target.serverName, ca: ca.bundlePem, agent: false };
  if (options.identity) {
    const identity = options.identity;
    // createConnection is used only without an agent (agent: false would make a new one).
    delete tls.agent;
    // The marker byte first, then the handshake (enroll-listener.ts); verification as for any request.
    tls.createConnection = () => {
      const raw = netConnect(target.port, target.host);
      raw.write(Buffer.of(RENEWAL_MARKER));
      return tlsConnect({ socket: raw, servername: target.serverName, ca: ca.bundlePem, cert: identity.certPem, key: identity.keyPem });
    };
  }
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        ...tls,
        method,
        path,
        timeout: TIMEOUT_MS,
        headers: {
          ...(payload ? { "content-type": "application/json", "content-length": String(payload.length) } : {}),
          ...(options.authorization ? { authorization: options.authorization } : {}),
        },
      },
      (res) => collect(res).then(resolve, reject),
    );
    req.once("timeout", () => req.destroy(new EnrollError(`no answer from ${target.host}:${target.port} within ${TIMEOUT_MS / 1000}s`)));
    req.once("error", (error) => {
      if (error instanceof EnrollError) return reject(error);
      const code = (error as NodeJS.ErrnoException).code ?? "";
      const tlsProblem = /CERT|SELF_SIGNED|ALTNAME|UNABLE_TO/.test(code) || /certificate/i.test(error.message);
      reject(
        new EnrollError(
          tlsProblem
            ? `the agent at ${target.host}:${target.port} does not verify as \`${target.serverName}\` against the trusted CA (${code || error.message}): a new CA (the stack rebooted?) needs a fresh \`bootgate enroll\` with a new token`
            : `${method} ${path} to ${target.host}:${target.port} failed: ${error.message}`,
        ),
      );
    });
    req.end(payload);
  });
}

const KEY_ALGORITHMS: readonly string[] = ["ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-3072", "rsa-4096", "ed25519"];

/** Step 2: the parameters, over verified HTTPS (in the clear they would be anyone's to change). */
export async function fetchParameters(target: EnrollTarget, ca: TrustedCa): Promise<CaParameters> {
  const { status, body } = await enrollRequest(target, ca, "GET", "/ca/cert");
  if (status !== 200) throw new EnrollError(`GET /ca/cert over HTTPS answered HTTP ${status}`);
  if (splitCertificates(String(body.bundle)).join("") !== ca.bundlePem)
    throw new EnrollError("the bundle over HTTPS is not the one fetched and checked in the clear");
  const { keyAlgorithm, validityMs, renewBeforeMs } = body as Partial<CaParameters>;
  if (typeof keyAlgorithm !== "string" || !KEY_ALGORITHMS.includes(keyAlgorithm) || typeof validityMs !== "number" || typeof renewBeforeMs !== "number")
    throw new EnrollError("GET /ca/cert over HTTPS did not name the key algorithm, validity and renewal point");
  return { keyAlgorithm, validityMs, renewBeforeMs };
}

export type Credential = { token: string } | { pskKey: Buffer } | { identity: { certPem: string; keyPem: string } };

/** Step 3: key and CSR here, the CSR signed there, the answer checked, the files written. */
export async function enrollOnce(
  target: EnrollTarget,
  ca: TrustedCa,
  params: CaParameters,
  request: { service: string; names: string[]; outDir: string; credential: Credential },
): Promise<EnrolledLeaf> {
  const { csrPem, keyPem } = await makeCsr(params.keyAlgorithm, request.service, request.names);
  const credential = request.credential;
  const authorization =
    "token" in credential
      ? `Bearer ${credential.token}`
      : "pskKey" in credential
        ? `PSK ${signPskRequest(credential.pskKey, request.service, Date.now())}`
        : undefined;
  const { status, body } = await enrollRequest(target, ca, "POST", "/ca/sign", {
    body: { service: request.service, csr: csrPem },
    ...(authorization ? { authorization } : {}),
    ...("identity" in credential ? { identity: credential.identity } : {}),
  });
  if (status !== 200) throw new EnrollError(`the agent refused to sign (HTTP ${status}): ${typeof body.error === "string" ? body.error : "no reason given"}`);
  const certPem = typeof body.certificate === "string" ? body.certificate : "";
  const chainPem = typeof body.chain === "string" ? body.chain : "";
  const leaf = checkIssued(certPem, chainPem, ca.bundlePem, keyPem, [request.service, ...request.names]);
  await ensureDir(request.outDir, { mode: 0o700 });
  await writeFilesAtomic([
    { path: join(request.outDir, SERVICE_FILES.cert), data: certPem + chainPem, mode: 0o644 },
    { path: join(request.outDir, SERVICE_FILES.key), data: keyPem, mode: 0o600 },
    { path: join(request.outDir, SERVICE_FILES.ca), data: ca.bundlePem, mode: 0o644 },
  ]);
  return { certPem: certPem + chainPem, serial: leaf.serialNumber.toLowerCase(), notBefore: new Date(leaf.validFrom), notAfter: new Date(leaf.validTo) };
}

function checkIssued(certPem: string, chainPem: string, bundlePem: string, keyPem: string, asked: string[]): X509Certificate {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(certPem);
  } catch {
    throw new EnrollError("the agent answered with an unreadable certificate");
  }
  if (!leaf.publicKey.equals(createPublicKey(keyPem))) throw new EnrollError("the certificate the agent returned is not for the key made here");
  const cas = [...splitCertificates(chainPem), ...splitCertificates(bundlePem)].map((p) => new X509Certificate(p));
  const bundleCas = splitCertificates(bundlePem).map((p) => new X509Certificate(p));
  const issuer = cas.find((c) => leaf.checkIssued(c) && leaf.verify(c.publicKey));
  if (!issuer || !bundleCas.some((c) => c.fingerprint256 === issuer.fingerprint256 || (issuer.checkIssued(c) && issuer.verify(c.publicKey))))
    throw new EnrollError("the certificate the agent returned is not issued by the trusted CA");
  const want = new Set(asked.map((n) => `${isIP(n) ? "IP Address" : "DNS"}:${n}`));
  const got = new Set((leaf.subjectAltName ?? "").split(", ").filter(Boolean));
  if (got.size !== want.size || [...want].some((n) => !got.has(n)))
    throw new EnrollError(`the certificate names ${[...got].join(", ")}, expected ${[...want].join(", ")}`);
  return leaf;
}
