// Which compose project the stack's containers belong to: `docker.project`, else
// BOOTGATE_COMPOSE_PROJECT, else — when bootgate itself runs in a container — the compose
// project label of its own container (Docker makes the hostname the container's short id).
import { access } from "node:fs/promises";
import { hostname } from "node:os";
import { type ContainerReader, COMPOSE_PROJECT_LABEL } from "./container-engine.js";

export type ProjectLookup =
  { found: true; name: string; from: "docker.project" | "BOOTGATE_COMPOSE_PROJECT" | "own container" } | { found: false; reason: string };

export interface ProjectLookupInput {
  configured: string | undefined;
  env: NodeJS.ProcessEnv;
  reader: ContainerReader;
  /** Defaults: os.hostname(), and whether /.dockerenv exists (Docker puts it in every container). */
  hostname?: string;
  inContainer?: () => Promise<boolean>;
}

const NOT_FOUND_HINT = "set docker.project or BOOTGATE_COMPOSE_PROJECT";

export async function runsInDockerContainer(): Promise<boolean> {
  return access("/.dockerenv").then(
    () => true,
    () => false,
  );
}

export async function findComposeProject(input: ProjectLookupInput): Promise<ProjectLookup> {
  if (input.configured) return { found: true, name: input.configured, from: "docker.project" };
  const fromEnv = input.env.BOOTGATE_COMPOSE_PROJECT;
  if (fromEnv) return { found: true, name: fromEnv, from: "BOOTGATE_COMPOSE_PROJECT" };
  // On a host, the hostname could name an unrelated container: only ask from inside one.
  if (!(await (input.inContainer ?? runsInDockerContainer)())) {
    return { found: false, reason: `bootgate does not run in a container; ${NOT_FOUND_HINT}` };
  }
  const self = input.hostname ?? hostname();
  const own = await input.reader.inspect(self);
  if (!own) return { found: false, reason: `no container named ${self} (bootgate's hostname) in the engine; ${NOT_FOUND_HINT}` };
  const label = own.labels[COMPOSE_PROJECT_LABEL];
  if (!label) return { found: false, reason: `bootgate's container ${own.name} has no ${COMPOSE_PROJECT_LABEL} label; ${NOT_FOUND_HINT}` };
  return { found: true, name: label, from: "own container" };
}
