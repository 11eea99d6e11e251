// One `bootgate run` worth of stages for a Kong gateway in DB-less mode, with real parts where
// they exist here: pki-init, a real OpenBao started when pki-ready opens, secretstore-setup,
// gateway-cert, proxy-setup writing kong.yml. Kong itself cannot run on this machine, so the
// file is what the tests look at.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "../../src/config/normalize.js";
import type { RunnerEvent } from "../../src/runner/events.js";
import type { RunResult } from "../../src/runner/runner.js";
import { runInBoot, runNewBoot } from "./run-in-boot.js";
import type { Stage } from "../../src/runner/stage.js";
import { ALL_STAGES } from "../../src/stages/all.js";
import { buildStages } from "../../src/stages/registry.js";
import { KONG_TEST_ROUTES } from "./kong-routes.js";
import { startVaultStack, type VaultStack } from "./vault-stack.js";
import { PKI_READY } from "../../src/gates/gate-names.js";

export const KONG_TEST_ISSUER = "bootgate-kong-test";

export interface KongVaultStack extends AsyncDisposable {
  vault: VaultStack;
  config: Config;
  configFile: string;
  routesFile: string;
  bootEvents: RunnerEvent[];
  bootResult: RunResult;
  /** Runs stages in the current boot, gates they need but do not open counting as open. */
  runInBoot(stages: Stage[]): Promise<RunResult & { events: RunnerEvent[] }>;
}

export async function startKongVaultStack(): Promise<KongVaultStack> {
  const vault = await startVaultStack({
    setup: false,
    start: false,
    config: {
      services: [{ name: "gateway" }, { name: "core-data" }, { name: "core-metadata" }],
      gateway: { kind: "kong", routes: "./routes.toml", kong: { mode: "declarative" }, jwt: { issuer: KONG_TEST_ISSUER } },
    },
  });
  try {
    const { config } = vault;
    const routesFile = join(vault.dir, "routes.toml");
    await writeFile(routesFile, KONG_TEST_ROUTES);
    const { events, ...bootResult } = await runNewBoot(config, await buildStages(ALL_STAGES, config), async (gate) => {
      if (gate === PKI_READY) await vault.startBao();
    });
    return {
      vault,
      config,
      configFile: config.source,
      routesFile,
      bootEvents: events,
      bootResult,
      runInBoot: (stages) => runInBoot(config, stages),
      [Symbol.asyncDispose]: () => vault[Symbol.asyncDispose](),
    };
  } catch (error) {
    await vault[Symbol.asyncDispose]();
    throw error;
  }
}
