// `agent:` — the long-running half (`bootgate agent`): where it serves /metrics and /healthz, and
// (agent.enroll) the enrollment API for services on other hosts.
import { z } from "zod";
import { path } from "../fields.js";

/** `host:port` (IPv6 in brackets): what the agent listens on. */
export const hostPort = z.string({ error: "expected host:port such as 127.0.0.1:9464" }).transform((value, ctx) => {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) {
    ctx.addIssue({ code: "custom", message: `expected host:port such as 127.0.0.1:9464 (port 1-65535), got \`${value}\`` });
    return z.NEVER;
  }
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
});

/**
 * `agent.enroll`: the enrollment API for services on other hosts (docs/enroll.md). Off unless
 * `listen` is set. `psk` is a file (never argv or env): with it, `GET /ca/cert` carries a JWT that
 * lets a client holding only the PSK check the bundle, and the PSK may enroll remote services.
 */
export const enrollSection = z.strictObject({
  listen: hostPort,
  psk: path.optional(),
  /** Requests a source address may make per minute (every request counts, refused ones too). */
  perAddressPerMinute: z.number({ error: "expected a number of requests" }).int().min(1).max(100_000).default(120),
  /** Signing requests per service per minute. */
  perServicePerMinute: z.number({ error: "expected a number of requests" }).int().min(1).max(100_000).default(60),
});

export const agentSection = z
  .strictObject({
    listen: hostPort.prefault("127.0.0.1:9464"),
    enroll: enrollSection.optional(),
  })
  .prefault({});
