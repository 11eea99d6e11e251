// A minimal Kong Admin API client: JSON over HTTP(S). The Admin API receives the gateway's key,
// so plain http is accepted only on loopback (Kong's admin listener beside bootgate); anything
// else must be https, verified against the stack's CA.
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { ConfigError, RequestError } from "../errors.js";
import { errorCode, hasTransientCode } from "../util/transient.js";

export interface KongResponse {
  status: number;
  body: unknown;
}

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

export class KongAdminClient {
  private readonly url: URL;

  constructor(
    adminUrl: string,
    private readonly options: { caPem?: string; serverName?: string; source?: string; timeoutMs?: number } = {},
  ) {
    this.url = new URL(adminUrl);
    if (this.url.protocol === "http:" && !LOOPBACK.has(this.url.hostname)) {
      throw new ConfigError(options.source ?? "config", [
        {
          path: "gateway.kong.adminUrl",
          message: `expected an https:// Admin API URL (it receives the gateway's private key), or http:// on loopback only; got \`${adminUrl}\``,
        },
      ]);
    }
  }

  /** PUT is Kong's upsert: create by name (or id) or replace what is there. */
  put(path: string, body: Record<string, unknown>): Promise<KongResponse> {
    return this.send("PUT", path, body);
  }

  get(path: string): Promise<KongResponse> {
    return this.send("GET", path);
  }

  delete(path: string): Promise<KongResponse> {
    return this.send("DELETE", path);
  }

  private send(method: string, path: string, body?: Record<string, unknown>): Promise<KongResponse> {
    const base = this.url.href.endsWith("/") ? this.url.href : `${this.url.href}/`;
    // Kong's `next` links are absolute paths; keep the Admin API's own origin and base path.
    const target = new URL(path.replace(/^\//, ""), base);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const https = target.protocol === "https:";
    const requestFn = https ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = requestFn(
        target,
        {
          method,
          headers: { accept: "application/json", ...(payload ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) } : {}) },
          timeout: this.options.timeoutMs ?? 10_000,
          ...(https ? { ca: this.options.caPem, servername: this.options.serverName ?? target.hostname } : {}),
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (text += c));
          res.on("end", () => {
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              // Kong answers JSON; keep the text for the error message otherwise.
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
        },
      );
      req.on("timeout", () => req.destroy(Object.assign(new Error("Kong Admin API did not answer in time"), { code: "ETIMEDOUT" })));
      req.on("error", (error: NodeJS.ErrnoException) => {
        reject(
          new RequestError(`Kong Admin API at ${this.url.origin}`, `${method} ${target.pathname}`, error.message, {
            transient: hasTransientCode(error),
            code: errorCode(error),
            cause: error,
          }),
        );
      });
      req.end(payload);
    });
  }
}
