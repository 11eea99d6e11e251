// The whole gateway path with real parts: one `bootgate run` worth of stages (pki-init with an
// imported CA, a real OpenBao started when pki-ready opens, secretstore-setup, gateway-cert,
// proxy-setup), two HTTPS micro services with their pki-init certificates (plus one with a
// certificate from a foreign CA), then a real nginx on the generated config.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "../../src/config/normalize.js";
import { nginxConfigDir } from "../../src/gateway/gateway-paths.js";
import { startNginx, type NginxHandle } from "../../src/servers/nginx-process.js";
import type { RunnerEvent } from "../../src/runner/events.js";
import type { RunResult } from "../../src/runner/runner.js";
import { runInBoot, runNewBoot } from "./run-in-boot.js";
import type { Stage } from "../../src/runner/stage.js";
import { ALL_STAGES } from "../../src/stages/all.js";
import { buildStages } from "../../src/stages/registry.js";
import { issueTestLeaf, makeImportedStackCa, makeTestCa, type TestCa } from "./gateway-pki.js";
import { freePort, startTestUpstream, type TestUpstream } from "./gateway-upstream.js";
import { caBundlePath, servicePath } from "../../src/volume/layout.js";
import { startVaultStack, type VaultStack } from "./vault-stack.js";
import { GATEWAY_READY, PKI_READY } from "../../src/gates/gate-names.js";

export const TEST_ISSUER = "bootgate-test";

export interface GatewayVaultStack extends AsyncDisposable {
  vault: VaultStack;
  config: Config;
  configFile: string;
  caPem: string;
  intermediate: TestCa;
  gatewayPort: number;
  upstreams: Record<"coreData" | "coreMetadata" | "rogue", TestUpstream>;
  nginx: NginxHandle;
  routesFile: string;
  goodRoutes: string;
  /** What the boot run reported (to check that no secret is in it). */
  bootEvents: RunnerEvent[];
  /** Runs stages in the current boot, gates they need but do not open counting as open. */
  runInBoot(stages: Stage[]): Promise<RunResult & { events: RunnerEvent[] }>;
}

export async function startGatewayVaultStack(): Promise<GatewayVaultStack> {
  const [gatewayPort, coreDataPort, coreMetadataPort, roguePort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const vault = await startVaultStack({
    setup: false,
    start: false,
    config: {
      services: [{ name: "gateway" }, { name: "core-data" }, { name: "core-metadata" }, { name: "core-rogue" }],
    },
  });
  const cleanups: Array<() => PromiseLike<unknown>> = [() => vault[Symbol.asyncDispose]()];
  const dispose = async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
  };
  try {
    const { importDir, intermediate } = await makeImportedStackCa(vault.dir);
    const foreign = await makeTestCa(vault.dir, "foreign");
    const routesFile = join(vault.dir, "routes.toml");
    const goodRoutes = `# the stack's routes
[[routes]]
name = "core-data"
path = "/api/core-data"
upstream = "https://127.0.0.1:${coreDataPort}"
service = "core-data"

[[routes]]
name = "core-metadata"
path = "/api/core-metadata"
upstream = "https://127.0.0.1:${coreMetadataPort}/v2"
service = "core-metadata"

[[routes]]
name = "rogue"
path = "/api/rogue"
upstream = "https://127.0.0.1:${roguePort}"
service = "core-rogue"
`;
    await writeFile(routesFile, goodRoutes);
    // The vault stack wrote its config; the gateway test adds the imported CA and the gateway.
    const { parse, stringify } = await import("yaml");
    const configFile = join(vault.dir, "bootgate.yaml");
    const doc = parse(await readFile(configFile, "utf8")) as Record<string, unknown>;
    doc.pki = { ca: { import: importDir } };
    doc.gateway = { routes: routesFile, nginx: { listen: gatewayPort }, jwt: { issuer: TEST_ISSUER } };
    await writeFile(configFile, stringify(doc));
    const { loadConfig } = await import("../../src/config/load.js");
    const config = await loadConfig({ file: configFile, env: {} });

    const upstreams = {} as GatewayVaultStack["upstreams"];
    const startUpstreams = async () => {
      const tlsOf = async (service: string) => ({
        certPem: await readFile(servicePath(config.secretsDir, service, "cert"), "utf8"),
        keyPem: await readFile(servicePath(config.secretsDir, service, "key"), "utf8"),
        caPem: await readFile(servicePath(config.secretsDir, service, "ca"), "utf8"),
      });
      upstreams.coreData = await startTestUpstream("core-data", await tlsOf("core-data"), coreDataPort);
      upstreams.coreMetadata = await startTestUpstream("core-metadata", await tlsOf("core-metadata"), coreMetadataPort);
      const rogueLeaf = await issueTestLeaf(vault.dir, foreign, "core-rogue");
      upstreams.rogue = await startTestUpstream("core-rogue", { ...rogueLeaf, caPem: (await tlsOf("core-rogue")).caPem }, roguePort);
      cleanups.push(() => Promise.all(Object.values(upstreams).map((u) => u.close())));
    };

    // One run of every enabled stage, as `bootgate run` does: the gateway leaf goes from
    // pki-init to gateway-cert in memory. OpenBao and the services start when pki-ready opens.
    const { events, ...result } = await runNewBoot(config, await buildStages(ALL_STAGES, config), async (gate) => {
      if (gate === PKI_READY) {
        await vault.startBao();
        await startUpstreams();
      }
    });
    if (!result.ok) throw new Error(`boot failed: ${result.failures.map((f) => f.message).join("; ")}`);
    if (!result.opened.includes(GATEWAY_READY)) throw new Error(`boot did not open gateway-ready: ${result.opened.join(", ")}`);

    const nginx = await startNginx({ prefixDir: nginxConfigDir(config) });
    cleanups.push(() => nginx.stop());

    return {
      vault,
      config,
      configFile,
      caPem: await readFile(caBundlePath(config.secretsDir), "utf8"),
      intermediate,
      gatewayPort,
      upstreams,
      nginx,
      routesFile,
      goodRoutes,
      bootEvents: events,
      runInBoot: (stages) => runInBoot(config, stages),
      [Symbol.asyncDispose]: dispose,
    };
  } catch (error) {
    await dispose();
    throw error;
  }
}
