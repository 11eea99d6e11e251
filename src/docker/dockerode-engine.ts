// The real engine, over dockerode and a unix socket. Only these endpoints are used, which is
// what a socket proxy in front of the engine should allow:
//   GET  /containers/json           (list, by label)
//   GET  /containers/{id}/json      (inspect)
//   POST /containers/{id}/kill      (signal; reload only)
import Docker from "dockerode";
import type { ContainerInspectInfo } from "dockerode";
import {
  type ContainerEngine,
  type ContainerHealth,
  type ContainerState,
  type VolumeMount,
  COMPOSE_PROJECT_LABEL,
  COMPOSE_SERVICE_LABEL,
} from "./container-engine.js";
import { engineFailure } from "./engine-error.js";

export interface DockerodeEngineOptions {
  socketPath: string;
  /** Budget of each call. */
  timeoutMs: number;
}

const HEALTH: Record<string, ContainerHealth> = { healthy: "healthy", unhealthy: "unhealthy", starting: "starting" };

/** Docker's zero time for "never": 0001-01-01T00:00:00Z. */
const timeOrUndefined = (t: string | undefined) => (t && !t.startsWith("0001-") ? t : undefined);

/**
 * `Mounts` names each volume and where it is mounted; only `HostConfig.Mounts` (the long syntax
 * Compose v2 sends) carries a subpath. A volume mounted through `Binds` has none: it is whole.
 */
function volumeMounts(info: ContainerInspectInfo): VolumeMount[] {
  const subpathAt = new Map((info.HostConfig?.Mounts ?? []).map((m) => [m.Target, m.VolumeOptions?.Subpath || undefined]));
  return (info.Mounts ?? [])
    .filter((m) => m.Type === "volume" && m.Name)
    .map((m) => ({ volume: m.Name!, target: m.Destination, subpath: subpathAt.get(m.Destination) }));
}

export function toContainerState(info: ContainerInspectInfo): ContainerState {
  const labels = info.Config?.Labels ?? {};
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ""),
    project: labels[COMPOSE_PROJECT_LABEL],
    service: labels[COMPOSE_SERVICE_LABEL],
    status: info.State.Status,
    exitCode: info.State.ExitCode,
    health: HEALTH[info.State.Health?.Status ?? ""] ?? "none",
    startedAt: timeOrUndefined(info.State.StartedAt),
    finishedAt: timeOrUndefined(info.State.FinishedAt),
    labels,
    volumes: volumeMounts(info),
  };
}

export class DockerodeEngine implements ContainerEngine {
  private readonly docker: Docker;

  constructor(private readonly options: DockerodeEngineOptions) {
    // host/port/protocol unset: DOCKER_HOST (read by docker-modem's defaults) must not send
    // these calls anywhere but the socket bootgate chose.
    this.docker = new Docker({ socketPath: options.socketPath, host: undefined, port: undefined, protocol: undefined, timeout: options.timeoutMs });
  }

  async listByLabels(labels: readonly string[]): Promise<ContainerState[]> {
    const found = await this.call("list containers", () => this.docker.listContainers({ all: true, filters: { label: [...labels] } }));
    const states = await Promise.all(found.map((c) => this.inspect(c.Id)));
    return states.filter((s): s is ContainerState => s !== undefined);
  }

  async inspect(idOrName: string): Promise<ContainerState | undefined> {
    try {
      return toContainerState(await this.docker.getContainer(idOrName).inspect());
    } catch (error) {
      // Gone between list and inspect, or never there: not an engine failure.
      if ((error as { statusCode?: number }).statusCode === 404) return undefined;
      throw engineFailure(this.options.socketPath, `inspect container ${idOrName}`, error);
    }
  }

  async signal(id: string, signal: string): Promise<void> {
    await this.call(`send ${signal} to container ${id}`, () => this.docker.getContainer(id).kill({ signal }));
  }

  private async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw engineFailure(this.options.socketPath, action, error);
    }
  }
}
