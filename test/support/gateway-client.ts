// A client of the gateway that trusts only the stack's CA and verifies the gateway by name.
import { request } from "node:https";
import type { TLSSocket } from "node:tls";

export interface GatewayResponse {
  status: number;
  body: string;
  fingerprint: string;
  headers: Record<string, string | string[] | undefined>;
}

export function gatewayGet(
  port: number,
  path: string,
  options: { caPem: string; token?: string; serverName?: string; timeoutMs?: number },
): Promise<GatewayResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        servername: options.serverName ?? "gateway",
        ca: options.caPem,
        agent: false,
        timeout: options.timeoutMs ?? 5_000,
        headers: options.token !== undefined ? { authorization: `Bearer ${options.token}` } : {},
      },
      (res) => {
        const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (body += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, fingerprint, headers: res.headers }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("gateway did not answer in time")));
    req.on("error", reject);
    req.end();
  });
}
