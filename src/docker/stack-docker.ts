// The stack's view of Docker: the engine behind the socket bootgate found, and the compose
// project its containers belong to. Opening it makes no call to the engine; the project is
// looked up on first use. dockerode is loaded only on the first call to the engine.
import type { Config } from "../config/normalize.js";
import { findComposeProject, type ProjectLookup, type ProjectLookupInput } from "./compose-project.js";
import { type ContainerEngine, type ContainerState, COMPOSE_PROJECT_LABEL, COMPOSE_SERVICE_LABEL } from "./container-engine.js";
import { findDockerSocket } from "./socket-path.js";

export interface StackDocker {
  socket: string;
  engine: ContainerEngine;
  /** Looked up once, then remembered. */
  project(): Promise<ProjectLookup>;
}

export type DockerLookup = { available: true; docker: StackDocker } | { available: false; reason: string };

export interface DockerDeps {
  env?: NodeJS.ProcessEnv;
  isSocket?: (path: string) => Promise<boolean>;
  createEngine?: (socketPath: string, timeoutMs: number) => ContainerEngine | Promise<ContainerEngine>;
  hostname?: string;
  inContainer?: ProjectLookupInput["inContainer"];
}

async function dockerodeEngine(socketPath: string, timeoutMs: number): Promise<ContainerEngine> {
  const { DockerodeEngine } = await import("./dockerode-engine.js");
  return new DockerodeEngine({ socketPath, timeoutMs });
}

/** Creates the engine on first call: dockerode costs ~175 ms to load, often for no call at all. */
function lazyEngine(create: () => ContainerEngine | Promise<ContainerEngine>): ContainerEngine {
  let engine: Promise<ContainerEngine> | undefined;
  const get = () => (engine ??= Promise.resolve().then(create));
  return {
    listByLabels: async (labels) => (await get()).listByLabels(labels),
    inspect: async (idOrName) => (await get()).inspect(idOrName),
    signal: async (id, signal) => (await get()).signal(id, signal),
  };
}

export async function openStackDocker(config: Config, deps: DockerDeps = {}): Promise<DockerLookup> {
  const env = deps.env ?? process.env;
  const socket = await findDockerSocket({ configured: config.docker.socket, env, ...(deps.isSocket ? { isSocket: deps.isSocket } : {}) });
  if (!socket.found) return { available: false, reason: socket.reason };
  const engine = lazyEngine(() => (deps.createEngine ?? dockerodeEngine)(socket.path, config.docker.timeoutMs));
  let project: Promise<ProjectLookup> | undefined;
  return {
    available: true,
    docker: {
      socket: socket.path,
      engine,
      project: () =>
        (project ??= findComposeProject({
          configured: config.docker.project,
          env,
          reader: engine,
          ...(deps.hostname !== undefined ? { hostname: deps.hostname } : {}),
          ...(deps.inContainer ? { inContainer: deps.inContainer } : {}),
        })),
    },
  };
}

/** Every container of the project, or of one of its services. */
export function projectContainers(engine: Pick<ContainerEngine, "listByLabels">, project: string, service?: string): Promise<ContainerState[]> {
  const labels = [`${COMPOSE_PROJECT_LABEL}=${project}`];
  if (service !== undefined) labels.push(`${COMPOSE_SERVICE_LABEL}=${service}`);
  return engine.listByLabels(labels);
}
