// `make vault`: the real OpenBao for development, on the address of the config (BOOTGATE_CONFIG,
// or the embedded default: https://127.0.0.1:8200), raft storage in <stateDir>/openbao, TLS with
// the `vault` service's certificate from pki-init (run first when it is missing). Ctrl-C stops it.
// Then: `node bin/bootgate.js run --only secretstore-setup` and `node bin/bootgate.js status`.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { loadConfig, startOpenBao, vaultBootConfigPath } from "bootgate/entry/dev-vault";

const config = await loadConfig();
const tlsDir = join(config.secretsDir, config.vault.service);
if (!existsSync(join(tlsDir, "cert.pem")) || !existsSync(vaultBootConfigPath(config))) {
  console.log(`no certificate or boot config in ${tlsDir}: running pki-init first`);
  execFileSync(process.execPath, ["bin/bootgate.js", "run", "--only", "pki-init"], { stdio: "inherit" });
}
const url = new URL(config.vault.address);
const bao = await startOpenBao({
  dir: join(config.stateDir, "openbao"),
  configFiles: [vaultBootConfigPath(config)],
  tlsDir,
  caFile: join(config.secretsDir, "ca", "ca.pem"),
  serverName: config.vault.service,
  port: Number(url.port || 8200),
});
console.log(
  `OpenBao ${bao.address} (pid ${bao.pid}), verified as \`${config.vault.service}\`; storage and log in ${join(config.stateDir, "openbao")}. Ctrl-C stops it.`,
);
const stop = async () => {
  await bao.stop();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
setInterval(() => {}, 1 << 30);
