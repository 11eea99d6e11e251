// After pki-init: services whose certificate this run REISSUED (one of this boot's leaves was on
// the volume and was replaced) get their `reload` signal, so a running server picks up the new
// certificate. A first issue of a boot signals nobody: those containers still wait on pki-ready.
// The gateway is not here: proxy-setup reloads it once its new certificate is in its config.
// Services an earlier run journalled (its leaves written, then killed before this point) are
// signalled too; the journal forgets each one only once its signal went out.
import type { Config } from "../config/normalize.js";
import type { ServiceOutcome } from "../pki/provision.js";
import { type ReloadRequest, signalServices, type SignalledContainer } from "./signal-services.js";
import { type DockerDeps, type DockerLookup, openStackDocker } from "./stack-docker.js";
import { pendingReloads, settlePendingReloads } from "../volume/pending-reloads.js";

export interface ReloadReissuedOptions {
  log: (line: string) => void;
  signal?: AbortSignal;
  open?: (config: Config, deps?: DockerDeps) => Promise<DockerLookup>;
}

export async function reloadReissued(config: Config, outcomes: readonly ServiceOutcome[], options: ReloadReissuedOptions): Promise<SignalledContainer[]> {
  const reissued = new Set(outcomes.filter((o) => o.reissued).map((o) => o.service));
  const journalled = await pendingReloads(config.secretsDir);
  const unfinished = new Set(journalled.filter((name) => !reissued.has(name)));
  const services = config.services.filter((s) => reissued.has(s.name) || unfinished.has(s.name));
  const silent = services.filter((s) => s.reload === undefined).map((s) => s.name);
  if (silent.length > 0) {
    options.log(`reissued the certificates of ${silent.join(", ")}; no \`reload\` set for them, so running containers keep the old ones until they restart`);
  }
  const requests: ReloadRequest[] = services
    .filter((s) => s.reload !== undefined)
    .map((s) => ({
      service: s.name,
      signal: s.reload!,
      because: unfinished.has(s.name) ? "its certificate was reissued by an earlier run that stopped before the reload" : "its certificate was reissued",
    }));
  // A journalled service since removed from the config, or whose reload was unset, needs nothing.
  const settle = () => settlePendingReloads(config.secretsDir, journalled);
  if (requests.length === 0) {
    await settle();
    return [];
  }
  const lookup = await (options.open ?? openStackDocker)(config);
  const names = requests.map((r) => r.service).join(", ");
  if (!lookup.available) {
    throw new Error(
      `${names} ${requests.length === 1 ? "has" : "have"} \`reload\` set, but the Docker engine is not available to signal them: ${lookup.reason}`,
    );
  }
  try {
    const signalled = await signalServices(lookup.docker, requests, options.log, options.signal);
    await settle();
    return signalled;
  } catch (error) {
    // The new certificates are in place already; only the reload is missing.
    throw new Error(`${(error as Error).message}; the new certificates are on the volume, restart the containers of ${names} to load them`, { cause: error });
  }
}
