import { z } from "zod";
import { dnsLabel, duration, hostname, ipAddress, path, port, sqlIdentifier } from "../fields.js";

/**
 * One grant, as written after GRANT and before TO: `SELECT ON ALL TABLES IN SCHEMA public`.
 * Words, names, commas, dots and parentheses only: no quotes, no `;`, no comments, so the text
 * cannot end the statement it is placed in.
 */
export const grantText = z
  .string({ error: "expected a grant such as `SELECT ON ALL TABLES IN SCHEMA public`" })
  .regex(
    /^[A-Za-z_][A-Za-z0-9_ ,.()]* ON [A-Za-z0-9_ ,.()]+$/,
    "expected a grant such as `SELECT ON ALL TABLES IN SCHEMA public` (privileges ON objects; letters, digits, '_', ',', '.', '(', ')' and spaces only)",
  )
  .refine((g) => !/\bTO\b/i.test(g), "expected the grant without `TO …` (it is granted to the service's own role)");

/** What a service asks of PostgreSQL: a role plus its own database, or a schema in a shared one. */
export const serviceDatabase = z.union(
  [
    sqlIdentifier,
    z
      .strictObject({
        name: sqlIdentifier,
        /** `database`: a database the role owns. `schema`: a schema named `name` in the database `shared`. */
        mode: z.enum(["database", "schema"]).default("database"),
        shared: sqlIdentifier.optional(),
        /** Extra grants, e.g. `SELECT ON ALL TABLES IN SCHEMA public`, run in the service's database. */
        grants: z.array(grantText).default([]),
        /** Require the service's certificate besides its password (default: `postgres.clientCerts`). */
        clientCert: z.boolean({ error: "expected true or false" }).optional(),
      })
      .refine((d) => d.mode !== "schema" || d.shared !== undefined, {
        message: "expected `shared: <database>` with `mode: schema` (the database that holds the schema)",
        path: ["shared"],
      }),
  ],
  { error: "expected a database name, or `{ name, mode, shared, grants, clientCert }`" },
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
    /**
     * Every service's login also needs its certificate (pg_hba `clientcert=verify-full`), besides
     * its password; `services[].database.clientCert` decides per service.
     */
    clientCerts: z.boolean({ error: "expected true or false" }).default(false),
    /** Services seeded at once (each takes an admin connection). */
    concurrency: z.number({ error: "expected a number of connections" }).int().min(1).max(32).default(8),
  })
  .prefault({});
