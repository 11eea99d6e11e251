import { z } from "zod";
import { dnsLabel, duration, hostname, ipAddress, path, port, sqlIdentifier } from "../fields.js";

/** What a service asks of PostgreSQL: a role plus its own database, or a schema in a shared one. */
export const serviceDatabase = z.union(
  [
    sqlIdentifier,
    z.strictObject({
      name: sqlIdentifier,
      /** `database`: a database the role owns. `schema`: a schema named `name` in `shared`. */
      mode: z.enum(["database", "schema"]).default("database"),
      shared: sqlIdentifier.optional(),
      /** Extra grants, e.g. `SELECT ON ALL TABLES IN SCHEMA public`. */
      grants: z.array(z.string()).default([]),
    }),
  ],
  { error: "expected a database name, or `{ name, mode, shared, grants }`" },
);

export const postgresSection = z
  .strictObject({
    /** BOOTGATE_PG_HOST / BOOTGATE_PG_PORT override. */
    host: z.union([hostname, ipAddress]).default("127.0.0.1"),
    port: port.default(5432),
    /** The service whose certificate the server presents; clients verify by this name (verify-full). */
    service: dnsLabel.default("postgres"),
    admin: z
      .strictObject({
        user: z.string().min(1).default("postgres"),
        /** BOOTGATE_PG_PASSWORD_FILE overrides. Never a password on the command line. */
        passwordFile: path.optional(),
        database: z.string().min(1).default("postgres"),
      })
      .prefault({}),
    waitTimeout: duration.prefault("60s"),
    /** Make new passwords for every role on this run. */
    rotate: z.boolean().default(false),
  })
  .prefault({});
