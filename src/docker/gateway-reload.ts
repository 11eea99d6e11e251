// The gateway's nginx in its own container (own pid namespace): its pid file means nothing
// here, so proxy-setup reloads it by sending SIGHUP to the gateway service's container(s)
// through the engine, then probes it by its service name (compose DNS) for the new generation.
// No socket, no known project or no running gateway container is no failure: nginx then starts
// later on the config just written.
import type { Config } from "../config/normalize.js";
import { describeCause } from "../errors.js";
import { signalServices } from "./signal-services.js";
import { type DockerDeps, type DockerLookup, openStackDocker, projectContainers } from "./stack-docker.js";

/** nginx's reload signal: re-read the config, start new workers, retire the old ones gracefully. */
export const NGINX_RELOAD_SIGNAL = "SIGHUP";

export type GatewayContainerReload = { reloaded: true; containers: string[]; probeHost: string } | { reloaded: false; reason: string };

export interface GatewayReloadOptions {
  signal?: AbortSignal;
  open?: (config: Config, deps?: DockerDeps) => Promise<DockerLookup>;
}

export async function reloadGatewayContainer(config: Config, options: GatewayReloadOptions = {}): Promise<GatewayContainerReload> {
  const service = config.gateway.service;
  const lookup = await (options.open ?? openStackDocker)(config);
  if (!lookup.available) return { reloaded: false, reason: lookup.reason };
  let project;
  try {
    project = await lookup.docker.project();
  } catch (error) {
    // Finding the project on its own is best effort (nobody asked for containers); once it is
    // known, an engine that fails to list or signal fails the stage.
    return { reloaded: false, reason: `could not find the compose project: ${describeCause(error)}` };
  }
  if (!project.found) return { reloaded: false, reason: project.reason };
  const running = (await projectContainers(lookup.docker.engine, project.name, service)).filter((c) => c.status === "running");
  if (running.length === 0) return { reloaded: false, reason: `no running ${service} container in compose project ${project.name}` };
  const lines: string[] = [];
  const signalled = await signalServices(
    lookup.docker,
    [{ service, signal: NGINX_RELOAD_SIGNAL, because: "its config and certificate changed" }],
    (line) => lines.push(line),
    options.signal,
  );
  // Stopped between the list and the signal: it starts again on the new config.
  if (signalled.length === 0) return { reloaded: false, reason: lines.join("; ") };
  return { reloaded: true, containers: signalled.map((s) => s.container), probeHost: service };
}
