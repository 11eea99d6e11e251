// Which certificate a server presents right now: a TLS handshake verified against the stack's
// CA by the service's name (never with verification off), reading the leaf's serial. PostgreSQL
// speaks TLS only after its SSLRequest, so it gets its own opener.
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect, type ConnectionOptions, type PeerCertificate } from "node:tls";

export interface HandshakeOptions {
  port: number;
  /** The service name the certificate must carry. */
  servername: string;
  ca: string | Buffer;
  /** A client certificate for servers that ask for one (the example services). */
  client?: { cert: string | Buffer; key: string | Buffer };
  timeoutMs?: number;
}

function handshake(options: HandshakeOptions, socket?: Socket): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const tlsOptions: ConnectionOptions = {
      host: "127.0.0.1",
      port: options.port,
      servername: options.servername,
      ca: options.ca,
      rejectUnauthorized: true,
      ...(options.client ?? {}),
      ...(socket ? { socket } : {}),
    };
    const s = tlsConnect(tlsOptions, () => {
      const peer = s.getPeerCertificate();
      s.destroy();
      resolve(peer);
    });
    s.setTimeout(options.timeoutMs ?? 5_000, () => s.destroy(new Error(`no TLS handshake with ${options.servername} on ${options.port}`)));
    s.once("error", reject);
  });
}

/** The serial (hex, as X509Certificate.serialNumber) of the leaf served on 127.0.0.1:port. */
export async function servedSerial(options: HandshakeOptions): Promise<string> {
  return (await handshake(options)).serialNumber;
}

/** When the leaf served on 127.0.0.1:port runs out (ms since the epoch). */
export async function servedNotAfter(options: HandshakeOptions): Promise<number> {
  return new Date((await handshake(options)).valid_to).getTime();
}

/** The same for PostgreSQL: SSLRequest, its `S`, then the handshake on that socket. */
export function postgresServedSerial(options: HandshakeOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: "127.0.0.1", port: options.port });
    socket.once("error", reject);
    socket.once("connect", () => {
      const request = Buffer.alloc(8);
      request.writeInt32BE(8, 0);
      request.writeInt32BE(80877103, 4);
      socket.write(request);
    });
    socket.once("data", (answer: Buffer) => {
      if (answer[0] !== 0x53) {
        socket.destroy();
        reject(new Error(`PostgreSQL on ${options.port} refused TLS (answered ${answer.toString("latin1", 0, 1)})`));
        return;
      }
      socket.removeListener("error", reject);
      handshake(options, socket).then((peer) => resolve(peer.serialNumber), reject);
    });
  });
}
