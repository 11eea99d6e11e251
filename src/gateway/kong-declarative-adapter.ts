// The Kong adapter for DB-less mode: like nginx, Kong starts on a file proxy-setup writes onto
// the tmpfs secrets volume (the gateway container waits for gateway-ready, then starts on it).
// No Kong database, no migrations, no Admin API at boot; the keys live only on the tmpfs.
//
// A Kong already running in its own container is reloaded with SIGHUP to that container: Kong's
// image runs nginx as PID 1, and an nginx reload re-runs Kong's init, which reads the file named
// by KONG_DECLARATIVE_CONFIG again (Kong/kong#4592). That is Kong's documented behaviour, not
// something checked here: Kong cannot run on this machine. What proxy-setup can check is that
// Kong then serves the certificate it was given, so it waits for that before gateway-ready.
import { join } from "node:path";
import { ensureDir, writeFileAtomic } from "../fs/atomic-write.js";
import type { ApplyResult, GatewayAdapter, GatewayMaterial } from "./adapter.js";
import { awaitServed, probeTargetFor, type ProbeResult, type ProbeTarget } from "./gateway-probe.js";
import { renderKongDeclarative } from "./kong-declarative-config.js";
import { kongEntities } from "./kong-entities.js";

export const KONG_DECLARATIVE_FILE = "kong.yml";

export type KongContainerReload = { reloaded: true; containers: string[]; probeHost: string } | { reloaded: false; reason: string };

export interface KongDeclarativeAdapterOptions {
  /** The gateway's service name: entity names and ids derive from it; clients verify Kong by it. */
  gateway: string;
  /** On the secrets volume (tmpfs): the file holds the gateway's keys. */
  configDir: string;
  /** The gateway service's uid/gid: Kong runs as it and must read the file. */
  owner?: { uid?: number | undefined; gid?: number | undefined };
  /** Kong's TLS proxy port, probed after a reload. */
  proxyPort: number;
  reloadTimeoutMs?: number;
  /** Reloads a Kong running in another container (SIGHUP); says where to probe it, or why not. */
  reloadElsewhere?: (signal?: AbortSignal) => Promise<KongContainerReload>;
  /** How Kong is looked at from outside; tests replace it. */
  probe?: (target: ProbeTarget) => Promise<ProbeResult>;
}

export class KongDeclarativeAdapter implements GatewayAdapter {
  readonly kind = "kong" as const;

  constructor(private readonly options: KongDeclarativeAdapterOptions) {}

  get configFile(): string {
    return join(this.options.configDir, KONG_DECLARATIVE_FILE);
  }

  async apply(material: GatewayMaterial, signal?: AbortSignal): Promise<ApplyResult> {
    // Derived (and refused) before anything is written.
    const entities = kongEntities(material, this.options.gateway);
    const text = renderKongDeclarative(entities);
    const owner = { uid: this.options.owner?.uid, gid: this.options.owner?.gid };
    signal?.throwIfAborted();
    await ensureDir(this.options.configDir, { mode: 0o700, ...owner });
    await writeFileAtomic(this.configFile, text, { mode: 0o600, ...owner });
    const what = `${entities.routes.length} routes, ${entities.snis.length} SNIs`;

    const elsewhere = await this.options.reloadElsewhere?.(signal);
    if (elsewhere?.reloaded) {
      await this.awaitCertificate(material, elsewhere.probeHost, signal);
      return { summary: `Kong reloaded in container ${elsewhere.containers.join(", ")} on ${this.configFile} (${what}), serving the new certificate` };
    }
    const why = elsewhere ? ` (no container signalled: ${elsewhere.reason})` : "";
    return { summary: `Kong declarative config written (${what}); kong not running here, it starts on ${this.configFile}${why}` };
  }

  /**
   * Until Kong answers with the certificate just written, several times in a row (old workers in
   * another pid namespace cannot be watched leave). An unchanged certificate passes at once: the
   * pick-up of a route change alone cannot be seen from outside without an authorised request.
   */
  private async awaitCertificate(material: GatewayMaterial, host: string, signal?: AbortSignal): Promise<void> {
    const target = probeTargetFor(material, host, this.options.proxyPort, this.options.gateway);
    await awaitServed(target, {
      served: (seen) => seen.fingerprint === material.tls.fingerprint,
      describe: (seen) => `serving certificate ${seen.fingerprint}`,
      what: `Kong at ${host}:${target.port} to serve certificate ${material.tls.fingerprint}`,
      timeoutMs: this.options.reloadTimeoutMs ?? 15_000,
      inARow: 3,
      ...(signal ? { signal } : {}),
      ...(this.options.probe ? { probe: this.options.probe } : {}),
    });
  }
}
