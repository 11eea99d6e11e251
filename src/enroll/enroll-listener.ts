// The enrollment port. One TCP listener; the first byte of each connection says what follows:
//   0x16 (a TLS handshake)      HTTPS with bootgate's leaf, no client certificate
//   0x01 then a TLS handshake   HTTPS that requires a client certificate from the stack's CA
//                               (renewal: the current leaf is the proof of identity)
//   anything else               plain HTTP, which answers only `GET /ca/cert` (public data whose
//                               integrity the client checks by its pin or the PSK; docs/enroll.md)
// The marker byte only picks which verification the server applies; it grants nothing itself.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createNetServer, type Socket } from "node:net";

export type Transport = "plain" | "tls" | "mtls";
export const RENEWAL_MARKER = 0x01;
const TLS_HANDSHAKE = 0x16;
/** A connection that sends nothing for this long is dropped (no peeked socket is kept forever). */
const FIRST_BYTE_TIMEOUT_MS = 10_000;

export interface ListenerTls {
  cert: Buffer;
  key: Buffer;
  /** The stack's trust bundle: what a renewing client's certificate must chain to. */
  ca: Buffer;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, transport: Transport, remoteAddress: string) => void;

export interface EnrollListener {
  address: { host: string; port: number };
  setTls(tls: ListenerTls): void;
  close(): Promise<void>;
}

export async function startEnrollListener(listen: { host: string; port: number }, tls: ListenerTls, handler: Handler): Promise<EnrollListener> {
  const remote = new WeakMap<object, string>();
  const addressOf = (req: IncomingMessage) => remote.get(req.socket) ?? req.socket.remoteAddress ?? "unknown";
  const plain = createHttpServer((req, res) => handler(req, res, "plain", addressOf(req)));
  const https = createHttpsServer({ cert: tls.cert, key: tls.key }, (req, res) => handler(req, res, "tls", addressOf(req)));
  // requestCert with the default rejectUnauthorized (true): no certificate from the stack's CA, no connection.
  const mtls = createHttpsServer({ cert: tls.cert, key: tls.key, ca: tls.ca, requestCert: true }, (req, res) => handler(req, res, "mtls", addressOf(req)));
  for (const s of [https, mtls])
    s.on("secureConnection", (socket) =>
      remote.set(socket, (socket as unknown as { _parent?: Socket })._parent?.remoteAddress ?? socket.remoteAddress ?? "unknown"),
    );
  for (const s of [plain, https, mtls]) s.on("clientError", (_error, socket) => socket.destroy());
  const sockets = new Set<Socket>();

  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.setTimeout(FIRST_BYTE_TIMEOUT_MS, () => socket.destroy());
    socket.once("error", () => socket.destroy());
    socket.once("data", (chunk: Buffer) => {
      socket.pause();
      socket.setTimeout(0);
      remote.set(socket, socket.remoteAddress ?? "unknown");
      const first = chunk[0];
      if (first === RENEWAL_MARKER) {
        if (chunk.length > 1) socket.unshift(chunk.subarray(1));
        mtls.emit("connection", socket);
      } else {
        socket.unshift(chunk);
        (first === TLS_HANDSHAKE ? https : plain).emit("connection", socket);
      }
      process.nextTick(() => socket.resume());
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const bound = server.address();
  return {
    address: { host: listen.host, port: typeof bound === "object" && bound ? bound.port : listen.port },
    setTls(next) {
      https.setSecureContext({ cert: next.cert, key: next.key });
      mtls.setSecureContext({ cert: next.cert, key: next.key, ca: next.ca });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
