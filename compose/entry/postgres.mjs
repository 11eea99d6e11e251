#!/usr/bin/env node
// The `postgres` container, started after `wait.sh pki-ready`, as the image's `postgres` user:
// the project's own launcher (src/servers/postgres-process.ts) — initdb on first boot with the
// admin password init left in the postgres service's folder (through a pipe, never argv),
// ssl=on with the `postgres` service's certificate read in place, no Unix socket — listening on
// the compose network instead of loopback, with an hba that accepts nothing but TLS with
// scram-sha-256 (and, for the roles init lists in client-cert-roles, their certificate). The
// cluster lives on the `postgres-data` volume.
// Env: BOOTGATE_SECRETS_DIR (/secrets), BOOTGATE_PG_DIR (/var/lib/postgresql/bootgate),
// BOOTGATE_PG_PASSWORD_FILE (<secrets>/postgres/admin.password), BOOTGATE_PG_CLIENT_CERT_ROLES_FILE
// (<secrets>/postgres/client-cert-roles).
import { mkdir } from "node:fs/promises";
import { join } from "node:path";

// The SIGHUP handler comes first. This runs under `wait.sh -r HUP -w /secrets/postgres`, which
// signals it whenever a watched file changes, from the moment the gates open. On a first boot
// secretstore-setup writes postgres/token.json a few seconds after pki-ready, often while initdb
// still runs, and Node's default for SIGHUP is to exit: the container died with 129 ("Hangup")
// and init's db-seed found no `postgres` (ENOTFOUND). bootgate's modules are imported after it,
// not statically: static imports load before a module's first line runs, a window that a loaded
// machine stretches. A SIGHUP while it starts is passed on once the server is ready (a file may
// have changed after the server read it; a reload too many is harmless); one after, at once
// (`reload: SIGHUP`: PostgreSQL rereads its ssl files).
let pg;
let hupWhileStarting = false;
process.on("SIGHUP", () => {
  if (pg?.pid === undefined) {
    hupWhileStarting = true;
    console.log("postgres: SIGHUP while starting (passed on once the server is ready)");
    return;
  }
  process.kill(pg.pid, "SIGHUP");
  console.log("postgres: reloaded (SIGHUP passed to the server)");
});

const { readClientCertRoles, startPostgres } = await import("bootgate/entry/postgres");
const secretsDir = process.env.BOOTGATE_SECRETS_DIR ?? "/secrets";
const dir = process.env.BOOTGATE_PG_DIR ?? "/var/lib/postgresql/bootgate";
await mkdir(dir, { recursive: true, mode: 0o700 });
const tlsDir = join(secretsDir, "postgres");
// Written by init at every boot from bootgate.yaml: these roles need their certificate as well.
const clientCertRoles = await readClientCertRoles(process.env.BOOTGATE_PG_CLIENT_CERT_ROLES_FILE ?? join(tlsDir, "client-cert-roles"));

pg = await startPostgres({
  dir,
  port: 5432,
  tlsDir,
  adminPasswordFile: process.env.BOOTGATE_PG_PASSWORD_FILE ?? join(secretsDir, "postgres", "admin.password"),
  readyTimeoutMs: 180_000,
  // pg_hba (rewritten at each start): TLS with scram-sha-256 from the compose network, and for
  // each client-certificate role a line before that one demanding its certificate too.
  clientCertRoles,
  hbaAddresses: ["0.0.0.0/0", "::/0"],
  // jit=off: the image leaves out the JIT's LLVM.
  settings: { listen_addresses: "*", jit: "off" },
});
console.log("postgres: ready on :5432 (TLS only)");
if (hupWhileStarting && pg.pid !== undefined) {
  process.kill(pg.pid, "SIGHUP");
  console.log("postgres: reloaded (the SIGHUP that came while it started)");
}
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await pg.stop();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
// The server dying on its own takes the container down with it.
const watch = setInterval(() => {
  if (pg.pid === undefined) return;
  try {
    process.kill(pg.pid, 0);
  } catch {
    if (!stopping) {
      console.error(`postgres exited:\n${pg.log().slice(-2000)}`);
      process.exit(1);
    }
  }
}, 1000);
watch.unref?.();
setInterval(() => {}, 1 << 30);
