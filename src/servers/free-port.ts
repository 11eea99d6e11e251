import { readFileSync } from "node:fs";
import { createServer } from "node:net";

// Below the kernel's ephemeral range, so a port picked now and bound later is never taken in the
// meantime by an outgoing connection's local port or by someone else's `listen(0)` (both come
// from that range). Tests pick ports seconds before servers bind them, many times over.
const LOWEST = 10_000;

function ephemeralLow(): number {
  try {
    const low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > LOWEST + 1_000 ? low : 0;
  } catch {
    return 0;
  }
}

function listenOn(port: number): Promise<number | undefined> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once("error", () => resolvePort(undefined));
    server.listen(port, "127.0.0.1", () => {
      const { port: bound } = server.address() as { port: number };
      server.close(() => resolvePort(bound));
    });
  });
}

/** A 127.0.0.1 port nobody listens on right now, outside the ephemeral range where there is room. */
export async function freePort(): Promise<number> {
  const low = ephemeralLow();
  for (let attempt = 0; low > 0 && attempt < 50; attempt++) {
    const port = await listenOn(LOWEST + Math.floor(Math.random() * (low - LOWEST)));
    if (port !== undefined) return port;
  }
  const port = await listenOn(0);
  if (port === undefined) throw new Error("no free 127.0.0.1 port");
  return port;
}
