// A real OpenBao for an integration test: certificates (and the seal key and boot config) from the real pki-init stage, `bao server` on a free 127.0.0.1 port with raft storage,
// and secretstore-setup run for the given config. Everything lives in one temp folder.
//
//   await using stack = await startVaultStack({ config: { services: [{ name: "core-data", database: "coredata" }] } });
//   const kv = await openKvClient(stack.config, "bootgate");
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { parseConfigText } from "../../src/config/load.js";
import type { Config } from "../../src/config/normalize.js";
import { freePort } from "../../src/servers/free-port.js";
import { type OpenBaoHandle, restartOpenBao, startOpenBao } from "../../src/servers/openbao-process.js";
import type { RunnerEvent } from "../../src/runner/events.js";
import type { RunResult } from "../../src/runner/runner.js";
import { pkiInitStage } from "../../src/stages/pki-init.js";
import { buildStage } from "../../src/stages/registry.js";
import { caBundlePath } from "../../src/volume/layout.js";
import { secretstoreSetupStage } from "../../src/stages/secretstore-setup.js";
import { collectBoot, gatesCountAsOpen } from "./run-in-boot.js";
import { vaultBootConfigPath } from "../../src/vault/server-boot-config.js";

export interface VaultStackOptions {
  /**
   * The config document (as it would be in YAML). The helper sets secretsDir, stateDir,
   * vault.address and vault.ikm (a random hex file); everything else is yours. A `vault`
   * service is added when the list has none.
   */
  config?: Record<string, unknown>;
  /** Run secretstore-setup before returning (default true). */
  setup?: boolean;
  /** Start OpenBao before returning (default true). */
  start?: boolean;
  /** Run pki-init (a new boot) before returning; default: unless both setup and start are false. */
  pki?: boolean;
  /** HCL appended to the server config, e.g. a `seal "static"` stanza. */
  extraHcl?: string;
  /** Raft's performance_multiplier (default 1). */
  performanceMultiplier?: number;
}

export interface StageRun extends RunResult {
  events: RunnerEvent[];
  /** Every line the run reported, as one text (for "no secret in the output" checks). */
  output: string;
}

export interface VaultStack extends AsyncDisposable {
  dir: string;
  config: Config;
  /** The running server (undefined after stopBao or with start: false). */
  bao: OpenBaoHandle | undefined;
  ikmFile: string;
  /** Starts a boot: new boot id, pki-init (certificates for every service), pki-ready. */
  runPki(): Promise<StageRun>;
  /** secretstore-setup in the current boot; resolves with the outcome, never throws for a failed stage. */
  runSetup(configOverride?: Config): Promise<StageRun>;
  startBao(): Promise<OpenBaoHandle>;
  stopBao(): Promise<void>;
  /** Stop and start on the same port and storage: it comes back sealed. */
  restartBao(): Promise<OpenBaoHandle>;
}

const withOutput = (run: RunResult & { events: RunnerEvent[] }): StageRun => ({ ...run, output: run.events.map((e) => JSON.stringify(e)).join("\n") });

export async function startVaultStack(options: VaultStackOptions = {}): Promise<VaultStack> {
  const dir = await mkdtemp(join(tmpdir(), "bootgate-vault-"));
  const ikmFile = join(dir, "ikm.hex");
  await writeFile(ikmFile, randomBytes(32).toString("hex") + "\n", { mode: 0o600 });
  const port = await freePort();
  const doc: Record<string, unknown> = { ...(options.config ?? {}) };
  const services = (doc.services as { name: string }[] | undefined) ?? [{ name: "core-data" }, { name: "core-metadata" }];
  const vaultDoc: Record<string, unknown> = { waitTimeout: "20s", ...((doc.vault as Record<string, unknown> | undefined) ?? {}) };
  const vaultService = (vaultDoc.service as string | undefined) ?? "vault";
  doc.services = services.some((s) => s.name === vaultService) ? services : [{ name: vaultService }, ...services];
  doc.secretsDir = join(dir, "secrets");
  doc.stateDir = join(dir, "state");
  doc.vault = { ...vaultDoc, address: `https://127.0.0.1:${port}`, ikm: { file: ikmFile } };
  const configFile = join(dir, "bootgate.yaml");
  const text = stringify(doc);
  await writeFile(configFile, text);
  const config = parseConfigText(text, { source: configFile, baseDir: dir, env: {} });
  await mkdir(config.secretsDir, { recursive: true });

  let bao: OpenBaoHandle | undefined;
  const baoOptions = {
    dir: join(dir, "bao"),
    tlsDir: join(config.secretsDir, config.vault.service),
    caFile: caBundlePath(config.secretsDir),
    serverName: config.vault.service,
    port,
    configFiles: [vaultBootConfigPath(config)],
    ...(options.extraHcl ? { extraHcl: options.extraHcl } : {}),
    ...(options.performanceMultiplier ? { performanceMultiplier: options.performanceMultiplier } : {}),
  };

  const stack: VaultStack = {
    dir,
    config,
    ikmFile,
    get bao() {
      return bao;
    },
    async runPki() {
      return withOutput(await collectBoot({ config, stages: [await buildStage(pkiInitStage(), config)], boot: "begin" }));
    },
    async runSetup(configOverride) {
      const c = configOverride ?? config;
      return withOutput(await collectBoot({ config: c, stages: [await buildStage(secretstoreSetupStage(), c)], boot: "join", waitForGates: gatesCountAsOpen }));
    },
    async startBao() {
      bao = await startOpenBao(baoOptions);
      return bao;
    },
    async stopBao() {
      await bao?.stop();
      bao = undefined;
    },
    async restartBao() {
      bao = bao ? await restartOpenBao(bao) : await startOpenBao(baoOptions);
      return bao;
    },
    async [Symbol.asyncDispose]() {
      await bao?.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };

  try {
    if (options.pki ?? (options.setup !== false || options.start !== false)) {
      const pki = await stack.runPki();
      if (!pki.ok) throw new Error(`startVaultStack: pki-init failed: ${pki.failures.map((f) => f.message).join("; ")}`);
    }
    if (options.start !== false) await stack.startBao();
    if (options.setup !== false) {
      const setup = await stack.runSetup();
      if (!setup.ok) throw new Error(`startVaultStack: secretstore-setup failed: ${setup.failures.map((f) => f.message).join("; ")}`);
    }
  } catch (error) {
    await stack[Symbol.asyncDispose]();
    throw error;
  }
  return stack;
}
