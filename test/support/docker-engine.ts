// Throwaway containers on the real engine for test/e2e/docker-client.test.ts: compose-style
// labels under a unique project, a shell that logs "reloaded" on SIGHUP and exits 3 on SIGTERM.
import { docker, waitFor } from "./compose-stack.js";

export const BASE_IMAGE = "bootgate-base";

/** PID 1 is this shell: it gets a handler for HUP and TERM, so both signals do something. */
export const RELOADABLE_COMMAND = `trap "echo reloaded" HUP; trap "exit 3" TERM; echo ready; while :; do sleep 0.2; done`;

export interface LabelledContainer {
  name: string;
  service: string;
  logs(): Promise<string>;
}

export async function startLabelledContainer(project: string, service: string, options: { healthCmd?: string } = {}): Promise<LabelledContainer> {
  const name = `${project}-${service}-1`;
  const health = options.healthCmd ? ["--health-cmd", options.healthCmd, "--health-interval", "1s", "--health-retries", "1"] : [];
  await docker([
    "run",
    "-d",
    "--name",
    name,
    "--label",
    `com.docker.compose.project=${project}`,
    "--label",
    `com.docker.compose.service=${service}`,
    "--label",
    "com.docker.compose.container-number=1",
    ...health,
    BASE_IMAGE,
    "sh",
    "-c",
    RELOADABLE_COMMAND,
  ]);
  const container = { name, service, logs: () => dockerLogs(name) };
  await waitFor(`container ${name} to say ready`, 60_000, async () => ((await container.logs()).includes("ready") ? true : undefined));
  return container;
}

async function dockerLogs(name: string): Promise<string> {
  // `docker logs` writes the container's stdout to its own stdout; execa's `all` is not needed.
  return docker(["logs", name]);
}

/** Removes every container of the project, whatever state it is in. */
export async function removeProjectContainers(project: string): Promise<void> {
  const ids = (await docker(["ps", "-aq", "--filter", `label=com.docker.compose.project=${project}`])).split("\n").filter(Boolean);
  if (ids.length > 0) await docker(["rm", "-f", ...ids]);
}
