// `agent:` — the long-running half (`bootgate agent`): where it serves /metrics and /healthz.
import { z } from "zod";

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

export const agentSection = z
  .strictObject({
    listen: hostPort.prefault("127.0.0.1:9464"),
  })
  .prefault({});
