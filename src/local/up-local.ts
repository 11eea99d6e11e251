// `bootgate up --local`: the whole stack as local processes, each started the way its container
// would be — after the gate it needs, read from the same gate files — while the runner goes
// through every stage in this process. Ctrl-C stops every child; nothing is left behind.
import { DB_READY, GATEWAY_READY, PKI_READY, VAULT_READY } from "../gates/gate-names.js";
import { X509Certificate } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { relative } from "node:path";
import { nginxConfigDir } from "../gateway/gateway-paths.js";
import { caBundlePath, localServerDir, serviceDir, servicePath } from "../volume/layout.js";
import { runBoot } from "../boot/run-boot.js";
import type { Config } from "../config/normalize.js";
import { ensureDir, isRoot } from "../fs/atomic-write.js";
import { waitForGates } from "../gates/wait-for-gates.js";
import type { EventSink } from "../runner/events.js";
import { ALL_STAGES } from "../stages/all.js";
import { buildStages, preflightStages } from "../stages/registry.js";
import { exampleRoutesToml, type ExampleService, startExampleService } from "./example-services.js";
import { ensureLocalIkm, writeDerivedAdminPassword } from "./local-secrets.js";
import { startNginx } from "../servers/nginx-process.js";
import { startOpenBao } from "../servers/openbao-process.js";
import { startPostgres } from "../servers/postgres-process.js";
import { type GateWait, type LatePart, type LateParts, startLateParts } from "./late-parts.js";
import { clientCertRolesOf } from "../db/client-cert-roles-file.js";
import { prepareSecretsVolume, type SecretsVolume } from "./secrets-volume.js";
import { serverUserFor } from "../servers/server-user.js";
import { Supervisor } from "./supervisor.js";
import { startLocalAgent } from "./local-agent.js";
import { reloadWhileRunning } from "./reload-on-renewal.js";
import { markVaultReadySeen, setAsideUnfinishedFirstBoot } from "../vault/unfinished-first-boot.js";
import { vaultBootConfigPath } from "../vault/server-boot-config.js";
import { isLocalCluster, markNodesVaultReadySeen, setAsideUnfinishedNodes, startLocalVaultCluster } from "./local-vault-cluster.js";

const INFRA_WAIT_MS = 10 * 60_000;
export const EXAMPLE_BASE_PORT = 59880;

export interface LocalStack {
  config: Config;
  volume: SecretsVolume;
  bootId: string;
  services: ExampleService[];
  gatewayUrl: string;
  stageTimes: Record<string, number>;
  stop(): Promise<void>;
}

/** Services the example server plays: those with a database that are not part of the infrastructure. */
export function exampleServicesOf(config: Config, basePort = exampleBasePort()): ExampleService[] {
  const infra = new Set([config.vault.service, config.postgres.service, config.gateway.service]);
  return config.services
    .filter((s) => s.database !== undefined && !infra.has(s.name))
    .map((s, i) => ({ name: s.name, port: basePort + i, path: `/${s.name}` }));
}

/** BOOTGATE_EXAMPLE_BASE_PORT moves the example services, so two stacks can run side by side. */
export function exampleBasePort(env: NodeJS.ProcessEnv = process.env): number {
  const port = Number(env.BOOTGATE_EXAMPLE_BASE_PORT);
  return Number.isInteger(port) && port > 0 && port < 65_000 ? port : EXAMPLE_BASE_PORT;
}

/** As root, the PostgreSQL service's key must belong to the server's own user. */
async function withServerOwners(config: Config): Promise<Config> {
  if (!isRoot()) return config;
  const pg = config.services.find((s) => s.name === config.postgres.service);
  if (!pg || pg.uid !== undefined) return config;
  const user = await serverUserFor("postgres");
  return { ...config, services: config.services.map((s) => (s === pg ? { ...s, uid: user.uid, gid: user.gid } : s)) };
}

/** `signal`: `up` is stopping (SIGINT, SIGTERM); the boot gives up where it is and mounts nothing more. */
export async function upLocal(loaded: Config, emit: EventSink, say: (line: string) => void, signal?: AbortSignal): Promise<LocalStack> {
  // 0711: the PostgreSQL server's own user must pass through to its data folder; each part's
  // folder below is 0700 and owned by whoever runs it.
  await ensureDir(loaded.stateDir, { mode: 0o711 });
  const services = exampleServicesOf(loaded);
  // The route map in the state folder is ours: derived from the example services, every time.
  if (loaded.gateway.routes && loaded.gateway.routes.startsWith(loaded.stateDir + "/")) {
    await writeFile(loaded.gateway.routes, exampleRoutesToml(services));
  }
  // Bad imports or a bad route map stop here, before the volume is emptied or anything starts.
  await preflightStages(ALL_STAGES, loaded);
  const ikm = await ensureLocalIkm(loaded);
  if (ikm === "created")
    say(`made the keyring's input key material: ${relative(process.cwd(), (loaded.vault.ikm as { file: string }).file)} (0600; use an ikm hook in production)`);
  signal?.throwIfAborted();
  const volume = await prepareSecretsVolume(loaded.secretsDir);
  if (signal?.aborted) {
    await volume.release();
    signal.throwIfAborted();
  }
  say(
    `secrets volume ${relative(process.cwd(), volume.path) || "."}: ${volume.tmpfs ? "tmpfs" : "a plain folder (not root: no tmpfs)"}, emptied — this is a boot`,
  );

  let config = await withServerOwners(loaded);
  const adminPasswordFile = await writeDerivedAdminPassword(config);
  config = { ...config, postgres: { ...config.postgres, admin: { ...config.postgres.admin, passwordFile: adminPasswordFile } } };

  const supervisor = new Supervisor();
  const stop = async () => {
    await supervisor.stopAll((name, error) => say(`could not stop ${name}: ${(error as Error).message}`));
    await volume.release();
  };
  try {
    const abort = new AbortController();
    signal?.addEventListener("abort", () => abort.abort(signal.reason), { once: true });
    const gate = (gates: string[]) => waitForGates({ secretsDir: config.secretsDir, gates, timeoutMs: INFRA_WAIT_MS, signal: abort.signal });

    // Each part starts when its gate opens, as its container would with `wait.sh pki-ready -- …`.
    const vaultPort = Number(new URL(config.vault.address).port || 8200);
    const baoDir = localServerDir(config.stateDir, "openbao");
    const aside = await setAsideUnfinishedFirstBoot(baoDir, config.stateDir);
    if (aside) say(`OpenBao's storage from a first boot that never finished (it holds nothing) moved to ${relative(process.cwd(), aside)}`);
    for (const node of await setAsideUnfinishedNodes(config))
      say(`a Vault node's storage from a first boot that never finished moved to ${relative(process.cwd(), node)}`);
    const startParts = () => [
      (async () => {
        await gate([PKI_READY]);
        if (isLocalCluster(config)) return startLocalVaultCluster(config, supervisor, 60_000);
        const bao = await startOpenBao({
          dir: baoDir,
          configFiles: [vaultBootConfigPath(config)],
          tlsDir: serviceDir(config.secretsDir, config.vault.service),
          caFile: caBundlePath(config.secretsDir),
          serverName: config.vault.service,
          port: vaultPort,
          // OpenBao's own convention (8200 → 8201), so every part of the stack has a known port and none is left to chance.
          clusterPort: vaultPort + 1,
          readyTimeoutMs: 60_000,
        });
        supervisor.add({ name: "openbao", stop: bao.stop });
        // OpenBao re-reads its listener's certificate on SIGHUP.
        reloadWhileRunning("openbao", serviceDir(config.secretsDir, config.vault.service), bao.pid, say);
      })(),
      (async () => {
        await gate([PKI_READY]);
        const pg = await startPostgres({
          dir: localServerDir(config.stateDir, "postgres"),
          port: config.postgres.port,
          tlsDir: serviceDir(config.secretsDir, config.postgres.service),
          adminPasswordFile,
          adminUser: config.postgres.admin.user,
          clientCertRoles: clientCertRolesOf(config),
          readyTimeoutMs: 60_000,
        });
        supervisor.add({ name: "postgres", stop: pg.stop });
        // The postmaster reloads its ssl files on SIGHUP.
        reloadWhileRunning("postgres", serviceDir(config.secretsDir, config.postgres.service), pg.pid!, say);
      })(),
    ];
    // The rest start as their own gates open, side by side, while the boot goes on (see late-parts.ts;
    // bench/up.mjs, "after run": 1.3–2.7 s → 0.1–1.2 s at load 10, when they started one by one after the run).
    const lateParts: LatePart[] = [
      // nginx's config is proxy-setup's output: like the nginx container, it waits for gateway-ready.
      {
        gates: [GATEWAY_READY],
        start: async () => {
          const nginx = await startNginx({ prefixDir: nginxConfigDir(config) });
          supervisor.add({ name: "nginx", stop: nginx.stop });
          reloadWhileRunning("nginx", serviceDir(config.secretsDir, config.gateway.service), nginx.pid, say);
        },
      },
      ...services.map((service) => ({
        gates: [VAULT_READY, DB_READY],
        start: async () => {
          const handle = await startExampleService(service, config.secretsDir);
          supervisor.add({ name: service.name, stop: handle.stop });
          reloadWhileRunning(service.name, serviceDir(config.secretsDir, service.name), handle.pid, say);
        },
      })),
      // The agent keeps the stack's leaves and tokens from gateway-ready on, as its compose service
      // does: its first pass applies the gateway again, and two applies on one nginx folder at once
      // (proxy-setup's and the agent's) removed each other's generation under a starting nginx.
      {
        gates: [VAULT_READY, GATEWAY_READY],
        start: async () => {
          const agent = await startLocalAgent(config, say);
          supervisor.add({ name: "agent", stop: agent.stop });
        },
      },
    ];
    const partFailed = () => abort.abort(new Error("a part of the stack failed to start"));
    const lateGate: GateWait = (gates, signal) => waitForGates({ secretsDir: config.secretsDir, gates, timeoutMs: INFRA_WAIT_MS, signal });
    let partsDone: Promise<unknown> = Promise.resolve();
    let late: LateParts | undefined;
    const onBoot = () => {
      partsDone = Promise.all(startParts());
      partsDone.catch(partFailed);
      late = startLateParts(lateParts, lateGate, abort.signal, partFailed);
    };

    const stages = await buildStages(ALL_STAGES, config);
    // A part that failed to start explains a failed stage better than the stage's own timeout.
    const boot = runBoot({
      config,
      stages,
      boot: "begin",
      emit,
      signal: abort.signal,
      onBoot,
      // Before the gate: from here on the Vault may hold secrets, and is never set aside.
      beforeGateOpen: async (g) => {
        if (g === VAULT_READY) await markVaultReadySeen(baoDir);
        if (g === VAULT_READY) await markNodesVaultReadySeen(config);
      },
    }).finally(() => partsDone);
    let booted: Awaited<typeof boot>;
    try {
      booted = await boot;
    } catch (error) {
      late?.release();
      // Settled before stop(): a part still starting is in the supervisor once it has started.
      // A part that failed to start explains the interrupted boot better than the boot's own error.
      const failedPart = await late?.started.then(
        () => undefined,
        (e: unknown) => ({ e }),
      );
      throw failedPart ? failedPart.e : error;
    }
    await late?.started;
    const { bootId, stageTimes } = booted;
    const gatewayUrl = `https://${config.gateway.service}:${config.gateway.nginx.listen}`;
    return { config, volume, bootId, services, gatewayUrl, stageTimes, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

export async function certificateExpiry(config: Config, service: string): Promise<string> {
  const pem = await readFile(servicePath(config.secretsDir, service, "cert"), "utf8").catch(() => undefined);
  if (!pem) return "-";
  return new Date(new X509Certificate(pem).validTo).toISOString().slice(0, 10);
}
