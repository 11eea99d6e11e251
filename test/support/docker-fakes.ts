// A Docker engine in memory for unit tests: containers with compose labels, the signals sent to
// them, and failures on demand. Real-engine tests are in test/e2e/docker-client.test.ts.
import type { Config } from "../../src/config/normalize.js";
import { type ContainerEngine, type ContainerState, COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL } from "../../src/docker/container-engine.js";
import { type DockerLookup, openStackDocker } from "../../src/docker/stack-docker.js";

export interface FakeContainerInput {
  name: string;
  project?: string;
  service?: string;
  status?: string;
  exitCode?: number;
  health?: ContainerState["health"];
  startedAt?: string;
  labels?: Record<string, string>;
  volumes?: ContainerState["volumes"];
}

export function fakeContainer(input: FakeContainerInput): ContainerState {
  const labels: Record<string, string> = { ...input.labels };
  if (input.project !== undefined) labels[COMPOSE_PROJECT_LABEL] = input.project;
  if (input.service !== undefined) labels[COMPOSE_SERVICE_LABEL] = input.service;
  return {
    id: `id-${input.name}`,
    name: input.name,
    project: input.project,
    service: input.service,
    status: input.status ?? "running",
    exitCode: input.exitCode ?? 0,
    health: input.health ?? "none",
    startedAt: input.startedAt ?? "2026-01-01T00:00:00.000Z",
    finishedAt: undefined,
    labels,
    volumes: input.volumes ?? [],
  };
}

export class FakeEngine implements ContainerEngine {
  readonly signals: { id: string; signal: string }[] = [];
  readonly calls: string[] = [];
  /** Thrown by every call while set. */
  failWith: Error | undefined;
  /** Thrown by the next N signal calls. */
  signalFailures: Error[] = [];

  constructor(public containers: ContainerState[] = []) {}

  async listByLabels(labels: readonly string[]): Promise<ContainerState[]> {
    this.calls.push(`list ${labels.join(",")}`);
    if (this.failWith) throw this.failWith;
    return this.containers.filter((c) =>
      labels.every((l) => {
        const [key, value] = l.split("=", 2) as [string, string | undefined];
        return key in c.labels && (value === undefined || c.labels[key] === value);
      }),
    );
  }

  async inspect(idOrName: string): Promise<ContainerState | undefined> {
    this.calls.push(`inspect ${idOrName}`);
    if (this.failWith) throw this.failWith;
    return this.containers.find((c) => c.id === idOrName || c.name === idOrName || c.id.startsWith(idOrName));
  }

  async signal(id: string, signal: string): Promise<void> {
    this.calls.push(`signal ${id} ${signal}`);
    if (this.failWith) throw this.failWith;
    const failure = this.signalFailures.shift();
    if (failure) throw failure;
    this.signals.push({ id, signal });
  }
}

/** openStackDocker over a fake engine, as if a socket were there (or not, with `socket: false`). */
export function fakeDockerOpener(engine: FakeEngine, options: { socket?: boolean; env?: NodeJS.ProcessEnv; inContainer?: boolean; hostname?: string } = {}) {
  return (config: Config): Promise<DockerLookup> =>
    openStackDocker(config, {
      env: options.env ?? {},
      isSocket: async () => options.socket ?? true,
      createEngine: () => engine,
      inContainer: async () => options.inContainer ?? false,
      hostname: options.hostname ?? "bootgate-host",
    });
}
