// What `up --local` shows once the stack is up: a table per service, then how to call a route.
import { DB_READY, GATEWAY_READY, PKI_READY, VAULT_READY } from "../gates/gate-names.js";
import { relative } from "node:path";
import { renderTable } from "../status/table.js";
import { caBundlePath } from "../volume/layout.js";
import { certificateExpiry, type LocalStack } from "./up-local.js";

export async function renderSummary(stack: LocalStack): Promise<string> {
  const { config } = stack;
  const port = config.gateway.nginx.listen;
  const gw = config.gateway.service;
  const rows = await Promise.all(
    stack.services.map(async (s) => [s.name, `https://${gw}:${port}${s.path}`, await certificateExpiry(config, s.name), `${VAULT_READY} ${DB_READY}`]),
  );
  const infra = await Promise.all(
    [
      [config.vault.service, config.vault.address.replace("127.0.0.1", config.vault.service), PKI_READY],
      [config.postgres.service, `postgresql://${config.postgres.service}:${config.postgres.port} (verify-full)`, PKI_READY],
      [gw, `https://${gw}:${port}`, GATEWAY_READY],
    ].map(async ([name, url, gates]) => [name!, url!, name === gw ? "(in Vault)" : await certificateExpiry(config, name!), gates!]),
  );
  const ca = relative(process.cwd(), caBundlePath(config.secretsDir)) || caBundlePath(config.secretsDir);
  const first = stack.services[0];
  const times = Object.entries(stack.stageTimes)
    .map(([stage, ms]) => `${stage} ${ms} ms`)
    .join(", ");
  return [
    "",
    renderTable(["service", "url", "cert expires", "gates"], [...infra, ...rows]),
    "",
    `stages: ${times}`,
    "",
    "Call a route (names resolve to 127.0.0.1 here; TLS is verified against the stack's CA by name):",
    `  TOKEN=$(node bin/bootgate.js token alice)`,
    first
      ? `  curl --cacert ${ca} --resolve ${gw}:${port}:127.0.0.1 -H "Authorization: Bearer $TOKEN" https://${gw}:${port}${first.path}/`
      : "  (no example service in this config)",
    "",
    "Ctrl-C stops every process of the stack.",
  ].join("\n");
}
