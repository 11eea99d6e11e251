// A small HTTPS micro service for gateway tests: serves with its own certificate, demands a
// client certificate from the stack's CA (mutual TLS), and answers with who it is and what it saw.
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { TLSSocket } from "node:tls";

export interface UpstreamReply {
  upstream: string;
  path: string;
  user: string | null;
  authorization: string | null;
  clientCert: string;
}

export interface TestUpstream extends AsyncDisposable {
  name: string;
  port: number;
  hits: number;
  close(): Promise<void>;
}

export async function startTestUpstream(name: string, tls: { certPem: string; keyPem: string; caPem: string }, port = 0): Promise<TestUpstream> {
  const state = { hits: 0 };
  const server: Server = createServer(
    { cert: tls.certPem, key: tls.keyPem, ca: tls.caPem, requestCert: true, rejectUnauthorized: true, minVersion: "TLSv1.2" },
    (req, res) => {
      state.hits++;
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      const reply: UpstreamReply = {
        upstream: name,
        path: req.url ?? "",
        user: (req.headers["x-authenticated-user"] as string | undefined) ?? null,
        authorization: req.headers.authorization ?? null,
        clientCert: typeof peer.subject?.CN === "string" ? peer.subject.CN : "",
      };
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(reply));
    },
  );
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    name,
    port: (server.address() as AddressInfo).port,
    get hits() {
      return state.hits;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

export { freePort } from "../../src/servers/free-port.js";
