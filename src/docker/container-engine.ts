// The narrow view of the Docker engine bootgate needs. Reading (status) and signalling (reload)
// are separate interfaces so `bootgate status` can be handed something that cannot kill.
// DockerodeEngine (src/docker/dockerode-engine.ts) is the real one; unit tests pass fakes.

/** Compose's labels: how a container says which project and service it belongs to. */
export const COMPOSE_PROJECT_LABEL = "com.docker.compose.project";
export const COMPOSE_SERVICE_LABEL = "com.docker.compose.service";

export type ContainerHealth = "healthy" | "unhealthy" | "starting" | "none";

/** A named volume mounted into a container; `subpath` when only that folder of it is mounted. */
export interface VolumeMount {
  volume: string;
  target: string;
  subpath: string | undefined;
}

/** One container as bootgate reports it: what `GET /containers/{id}/json` says, narrowed. */
export interface ContainerState {
  id: string;
  /** Without the leading "/". */
  name: string;
  project: string | undefined;
  service: string | undefined;
  /** created, running, paused, restarting, removing, exited or dead. */
  status: string;
  /** Meaningful once the container has exited. */
  exitCode: number;
  health: ContainerHealth;
  /** ISO time, or undefined when it never started. */
  startedAt: string | undefined;
  finishedAt: string | undefined;
  labels: Record<string, string>;
  /** Its named-volume mounts, in the engine's order. */
  volumes: VolumeMount[];
}

export interface ContainerReader {
  /** Every container (running or not) carrying all of these labels (`key=value` or `key`). */
  listByLabels(labels: readonly string[]): Promise<ContainerState[]>;
  /** One container by id or name; undefined when the engine has no such container. */
  inspect(idOrName: string): Promise<ContainerState | undefined>;
}

export interface ContainerSignaller {
  /** `POST /containers/{id}/kill?signal=…`: the signal goes to the container's main process. */
  signal(id: string, signal: string): Promise<void>;
}

export type ContainerEngine = ContainerReader & ContainerSignaller;
