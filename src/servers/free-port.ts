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

/**
 * The range to pick from: `BOOTGATE_PORT_RANGE=LOW-HIGH` where given (two test lanes, or two
 * stacks on one host, each keep to their own), else from 10000 to below the ephemeral range.
 * Undefined when there is no room there: the kernel then picks (listen(0)).
 */
export function portRange(env: NodeJS.ProcessEnv = process.env, ephemeralStart = ephemeralLow()): { low: number; high: number } | undefined {
  const given = env.BOOTGATE_PORT_RANGE;
  if (given) {
    const m = /^(\d{1,5})-(\d{1,5})$/.exec(given.trim());
    const low = Number(m?.[1]);
    const high = Number(m?.[2]);
    if (!m || low < 1024 || high > 65535 || low > high)
      throw new Error(`BOOTGATE_PORT_RANGE: expected LOW-HIGH within 1024-65535, such as 10000-20999, got \`${given}\``);
    return { low, high };
  }
  return ephemeralStart > 0 ? { low: LOWEST, high: ephemeralStart - 1 } : undefined;
}

/** A 127.0.0.1 port nobody listens on right now, outside the ephemeral range where there is room. */
export async function freePort(): Promise<number> {
  const range = portRange();
  for (let attempt = 0; range && attempt < 50; attempt++) {
    const port = await listenOn(range.low + Math.floor(Math.random() * (range.high - range.low + 1)));
    if (port !== undefined) return port;
  }
  const port = await listenOn(0);
  if (port === undefined) throw new Error("no free 127.0.0.1 port");
  return port;
}
