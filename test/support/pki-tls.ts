// A real TLS handshake with pki-init's files: an https server presenting one service's
// certificate and asking for a client certificate, a client that trusts only ca.pem and checks
// the server by service name while connecting to 127.0.0.1.
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";
import { servicePath } from "../../src/volume/layout.js";

export interface ServiceFiles {
  cert: string;
  key: string;
  ca: string;
}

export async function serviceFiles(secretsDir: string, service: string): Promise<ServiceFiles> {
  const [cert, key, ca] = await Promise.all((["cert", "key", "ca"] as const).map((f) => readFile(servicePath(secretsDir, service, f), "utf8")));
  return { cert: cert!, key: key!, ca: ca! };
}

/** Answers with the CN of the client certificate it verified. */
export async function startMutualTlsServer(server: ServiceFiles): Promise<{ port: number } & AsyncDisposable> {
  const srv = https.createServer({ key: server.key, cert: server.cert, ca: server.ca, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    res.end(String(peer.subject?.CN ?? ""));
  });
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  return {
    port: (srv.address() as AddressInfo).port,
    [Symbol.asyncDispose]: async () => {
      srv.closeAllConnections();
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    },
  };
}

export interface ClientOptions {
  port: number;
  servername: string;
  ca: string;
  client?: { cert: string; key: string };
}

/** Resolves with what the server saw (the client's CN) and who the server was (its CN). */
export function requestOverTls(options: ClientOptions): Promise<{ body: string; serverCn: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: "127.0.0.1",
        port: options.port,
        servername: options.servername,
        ca: options.ca,
        ...(options.client ?? {}),
        agent: false,
        path: "/",
      },
      (res) => {
        const serverCn = String((res.socket as TLSSocket).getPeerCertificate().subject?.CN ?? "");
        let body = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (body += chunk));
        res.on("end", () => resolve({ body, serverCn }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}
