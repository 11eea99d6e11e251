// The gateway with Vault's PKI engine as the issuer (pki.issuer: vault, an ephemeral CA): one
// `bootgate run` worth of stages with a real OpenBao started at pki-ready, one HTTPS upstream
// (`core-data`, its leaf from Vault), then a real nginx on the generated config. What the agent's
// gateway keeper renews and rotates.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { loadConfig } from "../../src/config/load.js";
import type { Config } from "../../src/config/normalize.js";
import { GATEWAY_READY, PKI_READY, VAULT_READY } from "../../src/gates/gate-names.js";
import { nginxConfigDir } from "../../src/gateway/gateway-paths.js";
import { startNginx, type NginxHandle } from "../../src/servers/nginx-process.js";
import { ALL_STAGES } from "../../src/stages/all.js";
import { buildStages } from "../../src/stages/registry.js";
import { caBundlePath, servicePath } from "../../src/volume/layout.js";
import { freePort, startTestUpstream, type TestUpstream } from "./gateway-upstream.js";
import { runNewBoot } from "./run-in-boot.js";
import { startVaultStack, type VaultStack } from "./vault-stack.js";

export const ISSUER = "bootgate-test";

export interface VaultPkiGatewayStack extends AsyncDisposable {
  vault: VaultStack;
  config: Config;
  configFile: string;
  caPem: string;
  gatewayPort: number;
  upstream: TestUpstream;
  nginx: NginxHandle;
}

/**
 * `extra`: config keys merged over the stack's (pki, gateway.jwt, agent…); `services` and `routes`
 * (TOML text) add to the stack's, e.g. a remote service behind the gateway (test/integration/enroll/).
 */
export async function startVaultPkiGatewayStack(
  extra: {
    pki?: Record<string, unknown>;
    jwt?: Record<string, unknown>;
    agent?: Record<string, unknown>;
    services?: Record<string, unknown>[];
    routes?: string;
  } = {},
) {
  const [gatewayPort, upstreamPort] = [await freePort(), await freePort()];
  const vault = await startVaultStack({
    setup: false,
    start: false,
    config: { services: [{ name: "gateway" }, { name: "core-data" }, ...(extra.services ?? [])] },
  });
  const cleanups: Array<() => PromiseLike<unknown>> = [() => vault[Symbol.asyncDispose]()];
  const dispose = async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
  };
  try {
    const routesFile = join(vault.dir, "routes.toml");
    await writeFile(
      routesFile,
      `[[routes]]\nname = "core-data"\npath = "/api/core-data"\nupstream = "https://127.0.0.1:${upstreamPort}"\nservice = "core-data"\n` + (extra.routes ?? ""),
    );
    const configFile = join(vault.dir, "bootgate.yaml");
    const doc = parse(await readFile(configFile, "utf8")) as Record<string, unknown>;
    doc.pki = { ...(doc.pki as object | undefined), ...extra.pki };
    doc.gateway = { routes: routesFile, nginx: { listen: gatewayPort }, jwt: { issuer: ISSUER, ...extra.jwt } };
    if (extra.agent) doc.agent = extra.agent;
    await writeFile(configFile, stringify(doc));
    const config = await loadConfig({ file: configFile, env: {} });
    if (config.pki.issuer !== "vault") throw new Error(`expected pki.issuer vault, got ${config.pki.issuer}`);

    let upstream: TestUpstream | undefined;
    const { events: _events, ...result } = await runNewBoot(config, await buildStages(ALL_STAGES, config), async (gate) => {
      if (gate === PKI_READY) await vault.startBao();
      if (gate === VAULT_READY) {
        const read = (what: "cert" | "key" | "ca") => readFile(servicePath(config.secretsDir, "core-data", what), "utf8");
        upstream = await startTestUpstream("core-data", { certPem: await read("cert"), keyPem: await read("key"), caPem: await read("ca") }, upstreamPort);
        cleanups.push(() => upstream!.close());
      }
    });
    if (!result.ok) throw new Error(`boot failed: ${result.failures.map((f) => f.message).join("; ")}`);
    if (!result.opened.includes(GATEWAY_READY) || !upstream) throw new Error(`boot did not open gateway-ready: ${result.opened.join(", ")}`);
    const nginx = await startNginx({ prefixDir: nginxConfigDir(config) });
    cleanups.push(() => nginx.stop());
    const stack: VaultPkiGatewayStack = {
      vault,
      config,
      configFile,
      caPem: await readFile(caBundlePath(config.secretsDir), "utf8"),
      gatewayPort,
      upstream,
      nginx,
      [Symbol.asyncDispose]: dispose,
    };
    return stack;
  } catch (error) {
    await dispose();
    throw error;
  }
}
