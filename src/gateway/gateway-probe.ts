// Looks at the running gateway from outside, as a client would: TLS verified, by name, against
// the given trust, then GET /_bootgate/generation. Used to confirm a reload took effect (the new
// generation answers with the new certificate) before gateway-ready opens.
import { X509Certificate } from "node:crypto";
import { request } from "node:https";
import { rootCertificates, type TLSSocket } from "node:tls";
import { TimeoutError } from "../errors.js";
import { poll } from "../util/poll.js";
import type { GatewayMaterial } from "./adapter.js";

export interface ProbeTarget {
  host: string;
  port: number;
  /** The name the gateway's certificate is verified by. */
  serverName: string;
  /** Trusted CAs (PEM): the stack's CA, plus the public roots for an imported certificate. */
  ca: string | string[];
}

export interface ProbeResult {
  generation: string;
  fingerprint: string;
}

export function probeGateway(target: ProbeTarget, timeoutMs = 3_000): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.host,
        port: target.port,
        path: "/_bootgate/generation",
        servername: target.serverName,
        ca: target.ca,
        agent: false,
        timeout: timeoutMs,
      },
      (res) => {
        const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ generation: body.trim(), fingerprint }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer from the gateway within ${timeoutMs}ms`)));
    req.on("error", reject);
    req.end();
  });
}

/**
 * The trust for a probe: the stack's CA; for an imported certificate also the public roots and
 * its own chain.pem (which may end in a private root the operator supplied).
 */
export const probeTrust = (caPem: string, importedChain?: string): string[] =>
  importedChain === undefined ? [caPem] : [...rootCertificates, caPem, ...(importedChain.trim() ? [importedChain] : [])];

/**
 * The probe's target for a gateway about to serve `material`: the name it is verified by is the
 * gateway's service name when the certificate carries it, else the certificate's first DNS name
 * (an imported public certificate), and the trust is probeTrust's.
 */
export function probeTargetFor(material: GatewayMaterial, host: string, port: number, service: string): ProbeTarget {
  const cert = new X509Certificate(material.tls.certPem);
  const firstDns = cert.subjectAltName
    ?.split(", ")
    .find((s) => s.startsWith("DNS:"))
    ?.slice(4);
  return {
    host,
    port,
    serverName: cert.checkHost(service) ? service : (firstDns ?? service),
    ca: probeTrust(material.caPem, material.tls.source === "import" ? material.tls.chainPem : undefined),
  };
}

export interface AwaitServedOptions {
  /** What the gateway must answer with. */
  served: (seen: ProbeResult) => boolean;
  /** How an answer that is not it reads in the timeout message. */
  describe: (seen: ProbeResult) => string;
  /** What was awaited, for the timeout message. */
  what: string;
  timeoutMs: number;
  /** Answers in a row: old workers in another pid namespace cannot be watched leave. */
  inARow?: number;
  /**
   * With inARow: the answers in a row must also span this long from the first of them. An old
   * nginx worker keeps accepting until it is scheduled to handle the master's QUIT, which on a
   * loaded machine came after three quick answers (a client's next request then got the old
   * certificate, in CI); a window of time, not a count, is what covers that.
   */
  steadyMs?: number;
  signal?: AbortSignal;
  probe?: (target: ProbeTarget) => Promise<ProbeResult>;
  /** More for the timeout message (e.g. nginx's last error line). */
  detail?: () => Promise<string>;
}

/** Probes every 50 ms until the gateway serves what is awaited; a timeout is transient (a rerun may succeed). */
export async function awaitServed(target: ProbeTarget, options: AwaitServedOptions): Promise<void> {
  const probe = options.probe ?? ((t: ProbeTarget) => probeGateway(t));
  let last = "no answer yet";
  // The answers in a row are asked back to back: a pause between them would only add time.
  const servedInARow = async (): Promise<true | undefined> => {
    const first = performance.now();
    for (let i = 0; i < (options.inARow ?? 1) || performance.now() - first < (options.steadyMs ?? 0); i++) {
      options.signal?.throwIfAborted();
      try {
        const seen = await probe(target);
        if (!options.served(seen)) {
          last = options.describe(seen);
          return undefined;
        }
      } catch (error) {
        last = (error as Error).message;
        return undefined;
      }
    }
    return true;
  };
  const what = async () => {
    const detail = (await options.detail?.()) ?? "";
    return `${options.what} (last: ${last}${detail ? `; ${detail}` : ""})`;
  };
  try {
    await poll(servedInARow, { timeoutMs: options.timeoutMs, intervalMs: 50, signal: options.signal, what });
  } catch (error) {
    // Our own wait ran out, not the stage's budget (its signal's reason may be a TimeoutError too).
    if (error instanceof TimeoutError && !options.signal?.aborted) throw Object.assign(error, { transient: true });
    throw error;
  }
}
