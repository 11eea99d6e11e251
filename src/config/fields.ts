// Reusable field validators; each carries the "expected …" text users see on a bad value.
import { z } from "zod";
import { parseDurationMs } from "./duration.js";

/** A DNS label: it is also a folder name under secretsDir, so nothing here may escape it. */
export const dnsLabel = z
  .string({ error: "expected a service name (a DNS label)" })
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "expected a DNS label: 1-63 lowercase letters, digits or '-', not starting or ending with '-'");

export const hostname = z
  .string({ error: "expected a DNS name" })
  .max(253, "expected a DNS name of at most 253 characters")
  .regex(/^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/, "expected a lowercase DNS name such as vault.internal");

export const ipAddress = z.union([z.ipv4(), z.ipv6()], { error: "expected an IPv4 or IPv6 address" });

/** A duration such as 90d, 15m, 500ms, or a number of seconds; normalized to milliseconds. */
export const duration = z.union([z.string(), z.number()], { error: "expected a duration such as 90d, 15m or 30s" }).transform((value, ctx) => {
  const ms = typeof value === "number" ? Math.round(value * 1000) : parseDurationMs(value);
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) {
    ctx.addIssue({ code: "custom", message: `expected a duration such as 90d, 15m or 30s, got \`${String(value)}\`` });
    return z.NEVER;
  }
  return ms;
});

export const path = z.string({ error: "expected a file or folder path" }).min(1, "expected a non-empty path");

export const port = z
  .number({ error: "expected a TCP port number" })
  .int("expected a whole port number")
  .min(1, "expected a port between 1 and 65535")
  .max(65535, "expected a port between 1 and 65535");

export const unixId = z
  .number({ error: "expected a numeric uid/gid" })
  .int()
  .min(0)
  .max(2 ** 31 - 1);

/** A PostgreSQL identifier we create: lowercase, no quoting games. */
export const sqlIdentifier = z
  .string({ error: "expected an SQL identifier" })
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, "expected an SQL identifier: lowercase letters, digits and '_', at most 63, not starting with a digit");

export const httpsUrl = z
  .string({ error: "expected an https:// URL" })
  .refine((v) => URL.canParse(v) && new URL(v).protocol === "https:", "expected an https:// URL");

export const httpUrl = z
  .string({ error: "expected a URL" })
  .refine((v) => URL.canParse(v) && ["http:", "https:"].includes(new URL(v).protocol), "expected an http(s):// URL");
