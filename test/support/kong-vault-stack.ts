// One `bootgate run` worth of stages for a Kong gateway in DB-less mode, with real parts where
// they exist here: pki-init, a real OpenBao started when pki-ready opens, secretstore-setup,
// gateway-cert, proxy-setup writing kong.yml. Kong itself cannot run on this machine, so the
// file is what the tests look at.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "../../src/config/normalize.js";
import { beginBoot, openGate, readBoot } from "../../src/gates/gate-file.js";
import type { RunnerEvent } from "../../src/runner/events.js";
import { runStages, type RunResult } from "../../src/runner/runner.js";
import type { Stage } from "../../src/runner/stage.js";
import { ALL_STAGES } from "../../src/stages/all.js";
import { buildStages } from "../../src/stages/registry.js";
import { startVaultStack, type VaultStack } from "./vault-stack.js";

export const KONG_TEST_ISSUER = "bootgate-kong-test";

export const KONG_TEST_ROUTES = `[[routes]]
name = "core-data"
path = "/api/core-data"
upstream = "https://core-data:59880"

[[routes]]
name = "core-metadata"
path = "/api/core-metadata"
upstream = "https://core-metadata:59881/v2"
`;

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
    const { bootId } = await beginBoot(config.secretsDir);
    const events: RunnerEvent[] = [];
    const bootResult = await runStages({
      stages: await buildStages(ALL_STAGES, config),
      config,
      bootId,
      emit: (e) => events.push(e),
      openGate: async (gate, stage) => {
        await openGate(config.secretsDir, gate, bootId, stage);
        if (gate === "pki-ready") await vault.startBao();
      },
    });
    return {
      vault,
      config,
      configFile: config.source,
      routesFile,
      bootEvents: events,
      bootResult,
      async runInBoot(stages) {
        const boot = await readBoot(config.secretsDir);
        const runEvents: RunnerEvent[] = [];
        const run = await runStages({
          stages,
          config,
          bootId: boot!.bootId,
          emit: (e) => runEvents.push(e),
          openGate: async (gate, stage) => void (await openGate(config.secretsDir, gate, boot!.bootId, stage)),
          awaitExternalGate: async () => {},
          backoff: { baseMs: 10, capMs: 50 },
        });
        return { ...run, events: runEvents };
      },
      [Symbol.asyncDispose]: () => vault[Symbol.asyncDispose](),
    };
  } catch (error) {
    await vault[Symbol.asyncDispose]();
    throw error;
  }
}
