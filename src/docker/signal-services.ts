// Sends each service's reload signal to its running containers in the compose project. A service
// with no running container is not an error: it reads its new certificate when it starts.
import { describeCause, isTransient } from "../errors.js";
import { sleep } from "../util/sleep.js";
import { backoffDelayMs } from "../runner/backoff.js";
import { projectContainers, type StackDocker } from "./stack-docker.js";

export interface ReloadRequest {
  service: string;
  signal: string;
  /** Why, for the log line: e.g. "its certificate was reissued". */
  because: string;
}

export interface SignalledContainer {
  service: string;
  container: string;
  signal: string;
}

/**
 * A refused or reset connection is retried here, a few times: the stage that asked cannot simply
 * run again, because its second run finds the new certificates already in place and asks no reload.
 */
const SIGNAL_ATTEMPTS = 3;

async function sendWithRetries(docker: StackDocker, id: string, signal: string, abort?: AbortSignal): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await docker.engine.signal(id, signal);
    } catch (error) {
      if (!isTransient(error) || attempt >= SIGNAL_ATTEMPTS) throw error;
      await sleep(backoffDelayMs(attempt), abort);
    }
  }
}

export async function signalServices(
  docker: StackDocker,
  requests: readonly ReloadRequest[],
  log: (line: string) => void,
  abort?: AbortSignal,
): Promise<SignalledContainer[]> {
  if (requests.length === 0) return [];
  const names = requests.map((r) => r.service).join(", ");
  const project = await docker.project();
  if (!project.found) throw new Error(`cannot signal the containers of ${names}: the compose project is unknown (${project.reason})`);
  const signalled: SignalledContainer[] = [];
  // One service after another: a handful of containers, and a log that reads in order.
  for (const request of requests) {
    const running = (await projectContainers(docker.engine, project.name, request.service)).filter((c) => c.status === "running");
    if (running.length === 0) {
      log(`${request.service}: no running container in compose project ${project.name}; nothing to signal (${request.because})`);
      continue;
    }
    for (const container of running) {
      try {
        await sendWithRetries(docker, container.id, request.signal, abort);
      } catch (error) {
        throw new Error(`could not send ${request.signal} to container ${container.name} (service ${request.service}): ${describeCause(error)}`, {
          cause: error,
        });
      }
      log(`sent ${request.signal} to container ${container.name} (service ${request.service}): ${request.because}`);
      signalled.push({ service: request.service, container: container.name, signal: request.signal });
    }
  }
  return signalled;
}
