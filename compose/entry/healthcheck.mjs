#!/usr/bin/env node
// A container health check: a TLS handshake with HOST:PORT that verifies the server's certificate
// against the stack's CA by the service NAME — healthy means "serving this boot's certificate for
// its name", the same check every client of the stack makes. No client certificate is sent and
// nothing is read from the server, so services that require mutual TLS are probed the same way.
// Usage: node healthcheck.mjs HOST PORT NAME   Env: BOOTGATE_SECRETS_DIR (/secrets)
import { readFileSync } from "node:fs";
import { join } from "node:path";
import tls from "node:tls";

const [host, port, name] = process.argv.slice(2);
if (!host || !port || !name) {
  console.error("usage: healthcheck.mjs HOST PORT NAME");
  process.exit(2);
}
const ca = readFileSync(join(process.env.BOOTGATE_SECRETS_DIR ?? "/secrets", "ca", "ca.pem"));
const socket = tls.connect({ host, port: Number(port), servername: name, ca, timeout: 4000 }, () => {
  socket.destroy();
  process.exit(0);
});
const fail = (why) => {
  console.error(`healthcheck: ${name} at ${host}:${port}: ${why}`);
  process.exit(1);
};
socket.on("error", (e) => fail(e.message));
socket.on("timeout", () => fail("no TLS handshake within 4 s"));
