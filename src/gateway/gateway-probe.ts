// Looks at the running gateway from outside, as a client would: TLS verified, by name, against
// the given trust, then GET /_bootgate/generation. Used to confirm a reload took effect (the new
// generation answers with the new certificate) before gateway-ready opens.
import { request } from "node:https";
import { rootCertificates, type TLSSocket } from "node:tls";

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
