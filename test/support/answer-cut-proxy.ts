// A TCP pass-through in front of one Vault node that can lose one answer: armed, it waits for the
// next request on a connection that was open before (a pooled keep-alive socket: its TLS
// handshake is behind it, so the first bytes back are the answer), holds those bytes, runs
// `onAnswer` (a kill -9 of the node) and drops the connection. Vault answers a write only once
// it has committed it, so the client has lost the answer to a committed write: what a leader
// dying mid-request does to it, at the one moment that matters. TLS stays end to end.
import { createConnection, createServer, type Socket } from "node:net";

export interface AnswerCutProxy extends AsyncDisposable {
  /** https://127.0.0.1:<port>, verified as the node itself is (by the shared name). */
  address: string;
  /** Cut the next answer; resolves with whether one was cut once `onAnswer` has run. */
  arm(onAnswer: () => Promise<void>, timeoutMs?: number): Promise<boolean>;
}

export async function startAnswerCutProxy(target: string): Promise<AnswerCutProxy> {
  const { hostname, port } = new URL(target);
  const open = new Set<Socket>();
  let armed: { before: Set<Socket>; sent: Set<Socket>; fire(client: Socket): void } | undefined;

  const server = createServer((client) => {
    open.add(client);
    const upstream = createConnection({ host: hostname, port: Number(port) });
    const drop = () => {
      open.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.on("data", (chunk) => {
      if (armed?.before.has(client)) armed.sent.add(client);
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (armed?.sent.has(client)) {
        const a = armed;
        armed = undefined;
        upstream.pause();
        a.fire(client);
        return;
      }
      client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the proxy has no port");

  return {
    address: `https://127.0.0.1:${address.port}`,
    arm(onAnswer, timeoutMs = 30_000) {
      return new Promise<boolean>((resolve, reject) => {
        const timer = setTimeout(() => {
          armed = undefined;
          resolve(false);
        }, timeoutMs);
        armed = {
          before: new Set(open),
          sent: new Set(),
          fire(client) {
            clearTimeout(timer);
            onAnswer().then(() => {
              client.resetAndDestroy();
              resolve(true);
            }, reject);
          },
        };
      });
    },
    async [Symbol.asyncDispose]() {
      armed = undefined;
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
