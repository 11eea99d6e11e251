// The nginx adapter: writes a new generation (cert, key, CA, njs verifier, config) into the
// gateway's config folder on the tmpfs secrets volume, has nginx test it, and only then swaps
// it in and reloads with SIGHUP. A candidate nginx refuses leaves the running config and its
// files exactly as they were.
import { randomBytes } from "node:crypto";
import { readdir, readFile, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { TimeoutError } from "../errors.js";
import { ensureDir, writeFileAtomic, writeFilesAtomic } from "../fs/atomic-write.js";
import { withFileLock } from "../fs/file-lock.js";
import { findNginx, testNginxConfig } from "../servers/nginx-process.js";
import { poll } from "../util/poll.js";
import type { ApplyResult, GatewayAdapter, GatewayMaterial } from "./adapter.js";
import { fullChain } from "./gateway-tls.js";
import { awaitServed, probeTargetFor } from "./gateway-probe.js";
import { GENERATION_FILES, renderNginxConfig, UNSAFE_NGINX_PATH } from "./nginx-config.js";
import { renderNjsAuth } from "./njs-auth.js";

export interface NginxAdapterOptions {
  binary?: string;
  /** On the secrets volume (tmpfs): the files here include the gateway's key. */
  configDir: string;
  /** nginx's prefix: pid file, error log, temp folders (default configDir). */
  runtimeDir?: string;
  listenAddress: string;
  listenPort: number;
  /** The gateway's service name: what a client verifies its certificate by. */
  serverName: string;
  reloadTimeoutMs?: number;
  /** The gateway service's uid/gid: owner of the files when bootgate runs as root. */
  owner?: { uid?: number | undefined; gid?: number | undefined };
  /** Where nginx finds the njs module (Debian and the official image: /usr/lib/nginx/modules/). */
  njsModule?: string;
  /** DNS servers for upstream names, resolved per request (see nginx-config.ts). */
  resolver?: readonly string[];
  /**
   * When the pid file is no use here (nginx in its own container, own pid namespace): reloads
   * nginx some other way (SIGHUP to its container, src/docker/gateway-reload.ts) and says which
   * host to probe for the new generation, or why it did not (nginx then starts on the new config).
   */
  reloadElsewhere?: (signal?: AbortSignal) => Promise<{ reloaded: true; containers: string[]; probeHost: string } | { reloaded: false; reason: string }>;
}

export const NGINX_CONFIG_FILE = "nginx.conf";
const GENERATION_PREFIX = "gen-";
/** The lock file of the config folder (src/fs/file-lock.ts); empty, never removed. */
const APPLY_LOCK = ".apply.lock";
/** How long a reloaded nginx in another container must answer only from its new generation. */
const ELSEWHERE_STEADY_MS = 1_000;

export class NginxAdapter implements GatewayAdapter {
  readonly kind = "nginx" as const;

  constructor(private readonly options: NginxAdapterOptions) {
    for (const [field, dir] of [
      ["configDir", options.configDir],
      ["runtimeDir", options.runtimeDir],
    ] as const) {
      if (dir !== undefined && UNSAFE_NGINX_PATH.test(dir)) {
        throw new Error(`gateway.nginx.${field} \`${dir}\` has characters nginx would misread (quotes, $, ;, braces, spaces)`);
      }
    }
  }

  private get runtimeDir(): string {
    return this.options.runtimeDir ?? this.options.configDir;
  }

  get configFile(): string {
    return join(this.options.configDir, NGINX_CONFIG_FILE);
  }

  async apply(material: GatewayMaterial, signal?: AbortSignal): Promise<ApplyResult> {
    // nginx may run as the gateway's own uid (its container): it must be able to read these.
    const owner = { uid: this.options.owner?.uid, gid: this.options.owner?.gid };
    await ensureDir(this.options.configDir, { mode: 0o700, ...owner });
    // One apply at a time per folder, whichever process or container runs it: each removes every
    // generation but its own, so two at once could leave nginx on a config whose files are gone.
    const wait = (this.options.reloadTimeoutMs ?? 15_000) * 4;
    return withFileLock(join(this.options.configDir, APPLY_LOCK), { what: "the gateway's nginx config", timeoutMs: wait, ...(signal ? { signal } : {}) }, () =>
      this.applyLocked(material, owner, signal),
    );
  }

  private async applyLocked(
    material: GatewayMaterial,
    owner: { uid: number | undefined; gid: number | undefined },
    signal?: AbortSignal,
  ): Promise<ApplyResult> {
    const { configDir } = this.options;
    const binary = await findNginx(this.options.binary);
    // nginx -t creates the temp folders' last level, so their parent must exist here too.
    await ensureDir(this.runtimeDir, { mode: 0o700, ...owner });
    await ensureDir(join(this.runtimeDir, "tmp"), { mode: 0o700, ...owner });

    const generation = randomBytes(8).toString("hex");
    const generationDir = join(configDir, `${GENERATION_PREFIX}${generation}`);
    const candidate = join(configDir, `.${NGINX_CONFIG_FILE}.${generation}.candidate`);
    const text = renderNginxConfig({
      prefixDir: this.runtimeDir,
      generationDir,
      generation,
      listenAddress: this.options.listenAddress,
      listenPort: this.options.listenPort,
      routes: material.routes,
      ...(this.options.njsModule ? { njsModule: this.options.njsModule } : {}),
      ...(this.options.resolver ? { resolver: this.options.resolver } : {}),
    });
    try {
      await ensureDir(generationDir, { mode: 0o700, ...owner });
      await writeFilesAtomic([
        { path: join(generationDir, GENERATION_FILES.fullchain), data: fullChain(material.tls), mode: 0o600, ...owner },
        { path: join(generationDir, GENERATION_FILES.key), data: material.tls.keyPem, mode: 0o600, ...owner },
        { path: join(generationDir, GENERATION_FILES.clientChain), data: fullChain(material.clientTls), mode: 0o600, ...owner },
        { path: join(generationDir, GENERATION_FILES.clientKey), data: material.clientTls.keyPem, mode: 0o600, ...owner },
        { path: join(generationDir, GENERATION_FILES.ca), data: material.caPem, mode: 0o600, ...owner },
        {
          path: join(generationDir, GENERATION_FILES.auth),
          data: renderNjsAuth(material.jwt.key, material.jwt.issuer, material.jwt.previous),
          mode: 0o600,
          ...owner,
        },
      ]);
      await writeFileAtomic(candidate, text, { mode: 0o600, ...owner });
      const test = await testNginxConfig(binary, this.runtimeDir, candidate);
      if (!test.ok) throw new Error(`nginx -t refused the generated config; the running config is untouched:\n${test.output}`);
    } catch (error) {
      await rm(candidate, { force: true });
      await rm(generationDir, { recursive: true, force: true });
      throw error;
    }
    const replaced = await this.configuredGeneration();
    await rename(candidate, this.configFile);

    const pid = await this.runningPid();
    if (pid === undefined) {
      const elsewhere = await this.options.reloadElsewhere?.(signal);
      if (elsewhere?.reloaded) {
        // Old workers in another pid namespace cannot be watched leave: answers in a row from the
        // new generation for a second stand in for that (gateway-probe.ts, steadyMs).
        await this.awaitGeneration(generation, material, signal, { host: elsewhere.probeHost, inARow: 3, steadyMs: ELSEWHERE_STEADY_MS });
        await this.removeGenerationsExcept(generation);
        return { summary: `nginx reloaded in container ${elsewhere.containers.join(", ")} (${material.routes.length} routes, generation ${generation})` };
      }
      // No nginx here to watch: one may be starting right now on the config just replaced (up
      // --local starts it when gateway-ready opens, while the agent's first pass applies again)
      // and not have opened its certificates yet. The generation that config names stays until
      // the next apply; removing it made such an nginx exit with "cannot load certificate".
      await this.removeGenerationsExcept(generation, replaced);
      const why = elsewhere ? ` (no container signalled: ${elsewhere.reason})` : "";
      return { summary: `nginx config written (${material.routes.length} routes); nginx not running here, it starts on ${this.configFile}${why}` };
    }
    const oldWorkers = await childrenOf(pid);
    process.kill(pid, "SIGHUP");
    await this.awaitGeneration(generation, material, signal);
    // Old workers may still take a new connection for a moment after the new ones answer; the
    // gate promises the new certificate, so wait (briefly) until they have left.
    await waitGone(oldWorkers, this.options.reloadTimeoutMs ?? 15_000, signal);
    await this.removeGenerationsExcept(generation);
    return { summary: `nginx reloaded (${material.routes.length} routes, generation ${generation})` };
  }

  /** The master's pid when an nginx on this config folder is alive (same pid namespace). */
  async runningPid(): Promise<number | undefined> {
    const text = await readFile(join(this.runtimeDir, "nginx.pid"), "utf8").catch(() => "");
    const pid = Number(text.trim());
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    // A pid file from another pid namespace (nginx in its own container) or a stale one could
    // name an unrelated process: signal only an nginx master.
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    return /nginx/.test(cmdline.split("\0")[0] ?? "") || /^nginx: master/.test(cmdline) ? pid : undefined;
  }

  private async awaitGeneration(
    generation: string,
    material: GatewayMaterial,
    signal?: AbortSignal,
    probe: { host?: string; inARow?: number; steadyMs?: number } = {},
  ): Promise<void> {
    const { listenAddress } = this.options;
    const host = probe.host ?? (listenAddress === "0.0.0.0" ? "127.0.0.1" : listenAddress === "::" ? "::1" : listenAddress);
    await awaitServed(probeTargetFor(material, host, this.options.listenPort, this.options.serverName), {
      served: (seen) => seen.generation === generation && seen.fingerprint === material.tls.fingerprint,
      describe: (seen) => `serving generation ${seen.generation || "(none)"} with certificate ${seen.fingerprint}`,
      what: `nginx to serve generation ${generation}`,
      timeoutMs: this.options.reloadTimeoutMs ?? 15_000,
      inARow: probe.inARow ?? 1,
      ...(probe.steadyMs ? { steadyMs: probe.steadyMs } : {}),
      ...(signal ? { signal } : {}),
      detail: async () => {
        const log = await readFile(join(this.runtimeDir, "error.log"), "utf8").catch(() => "");
        const line = log
          .trim()
          .split("\n")
          .filter((l) => /\[(emerg|alert|crit|error)\]/.test(l))
          .at(-1);
        return line ? `error.log: ${line}` : "";
      },
    });
  }

  /** The generation the config on disk names (undefined: none yet, or not one of ours). */
  private async configuredGeneration(): Promise<string | undefined> {
    const text = await readFile(this.configFile, "utf8").catch(() => "");
    return new RegExp(`/${GENERATION_PREFIX}([0-9a-f]{16})/`).exec(text)?.[1];
  }

  private async removeGenerationsExcept(...keep: (string | undefined)[]): Promise<void> {
    const kept = new Set(keep.filter((g) => g !== undefined).map((g) => `${GENERATION_PREFIX}${g}`));
    const entries = await readdir(this.options.configDir);
    await Promise.all(
      entries
        // Also what an apply killed half-way left behind: other generations, stale candidates.
        .filter((e) => (e.startsWith(GENERATION_PREFIX) && !kept.has(e)) || (e.startsWith(`.${NGINX_CONFIG_FILE}.`) && e.endsWith(".candidate")))
        .map((e) => rm(join(this.options.configDir, e), { recursive: true, force: true })),
    );
  }
}

/** The pids whose parent is `pid` (nginx's workers, when `pid` is its master). */
async function childrenOf(pid: number): Promise<number[]> {
  const entries = await readdir("/proc").catch(() => [] as string[]);
  const children: number[] = [];
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (e) => {
        const stat = await readFile(`/proc/${e}/stat`, "utf8").catch(() => "");
        // Field 4 is the parent pid; the command (field 2) may hold spaces, so count from its ")".
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        if (ppid === pid) children.push(Number(e));
      }),
  );
  return children;
}

async function waitGone(pids: number[], timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const alive = (p: number) => {
    try {
      process.kill(p, 0);
      return true;
    } catch {
      return false;
    }
  };
  try {
    await poll(() => (pids.some(alive) ? undefined : true), { timeoutMs, intervalMs: 20, signal, what: `nginx's old workers ${pids.join(", ")} to leave` });
  } catch (error) {
    // The new generation already answers; a worker slow to finish its last request is no failure.
    // The stage's budget running out is (its signal's reason may be a TimeoutError too).
    if (!(error instanceof TimeoutError) || signal?.aborted) throw error;
  }
}
