// A bare HTTPS request to Vault for tests that must show what one client holding only files can do
// (a certificate login, a read with the token it got): no node-vault, no token of bootgate's. Vault
// is verified by name against the given CA; the client certificate, when given, is presented.
import { request } from "node:https";

export interface VaultAnswer {
  status: number;
  body: {
    auth?: { client_token: string; policies: string[]; token_policies?: string[] };
    data?: Record<string, unknown> & { data?: Record<string, unknown> };
    errors?: string[];
  };
}

export interface VaultTls {
  ca: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
}

export function vaultRequest(
  target: { address: string; servername: string },
  method: string,
  path: string,
  tls: VaultTls,
  body?: unknown,
  token?: string,
): Promise<VaultAnswer> {
  const url = new URL(path, target.address);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method,
        servername: target.servername,
        ca: tls.ca,
        ...(tls.cert && tls.key ? { cert: tls.cert, key: tls.key } : {}),
        agent: false,
        timeout: 10_000,
        headers: { "content-type": "application/json", ...(token ? { "x-vault-token": token } : {}) },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as VaultAnswer["body"]) : {} }));
      },
    );
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error(`Vault ${method} ${url.pathname}: no answer in 10 s`)));
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}
