// Helpers for the docker compose e2e test: the engine and images from the project's own scripts,
// a compose project with a unique name, and bounded waits.
import Docker from "dockerode";
import { execa } from "execa";
import { resolve } from "node:path";
import { poll } from "../../src/util/poll.js";

export const REPO = resolve(import.meta.dirname, "../..");
export const COMPOSE_FILE = resolve(REPO, "compose/docker-compose.yml");

/** Runs a project script; a failure throws with the script's own message (it says how to fix it). */
export async function runScript(script: string, timeoutMs: number): Promise<string> {
  const result = await execa("bash", [resolve(REPO, script)], { cwd: REPO, reject: false, all: true, timeout: timeoutMs });
  if (result.exitCode !== 0) {
    throw new Error(
      `\`bash ${script}\` failed (exit ${result.exitCode ?? result.signal}${result.timedOut ? ", timed out" : ""}):\n${String(result.all ?? "")
        .trim()
        .slice(-3000)}`,
    );
  }
  return String(result.all ?? "");
}

export const COMPOSE_SH = resolve(REPO, "compose/compose.sh");

/** compose/compose.sh, as a user runs it: Compose v2 with the base file and, where the engine has volume subpath, compose/subpath.yml. */
export async function composeCommand(): Promise<string[]> {
  const plugin = await execa("docker", ["compose", "version"], { reject: false, timeout: 20_000 });
  if (plugin.exitCode !== 0)
    throw new Error("`docker compose` (v2) does not work: run `bash scripts/docker-engine.sh` as root (it builds Compose v2 where missing)");
  return ["bash", COMPOSE_SH];
}

export type ComposeMode = "subpath" | "whole-volume";

/** What compose/compose.sh picks on this engine. */
export async function composeMode(): Promise<ComposeMode> {
  const out = (await execa("bash", [COMPOSE_SH, "--mode"], { timeout: 20_000 })).stdout.trim();
  if (out !== "subpath" && out !== "whole-volume") throw new Error(`compose.sh --mode said ${JSON.stringify(out)}`);
  return out;
}

export interface ComposeProject {
  name: string;
  gatewayPort: number;
  /** Runs `compose/compose.sh -p NAME [-f EXTRA…] ARGS`; throws with its output on failure. */
  run(args: string[], timeoutMs?: number, output?: "stdout" | "all"): Promise<string>;
  /** The container id of a service ('' when it has none). */
  containerId(service: string): Promise<string>;
  /** `docker exec -i` in the service's container; `input` goes to stdin (secrets never on argv). */
  exec(service: string, argv: string[], options?: { input?: string; user?: string }): Promise<{ exitCode: number; stdout: string; stderr: string }>;
}

export function composeProject(
  command: string[],
  name: string,
  gatewayPort: number,
  extraEnv: NodeJS.ProcessEnv = {},
  extraFiles: string[] = [],
): ComposeProject {
  const env = { BOOTGATE_GATEWAY_PUBLISH: String(gatewayPort), COMPOSE_HTTP_TIMEOUT: "600", ...extraEnv };
  // compose.sh names the base file (and subpath.yml) itself; more files come after them.
  const files = extraFiles.map((f) => resolve(REPO, f)).flatMap((f) => ["-f", f]);
  const run = async (args: string[], timeoutMs = 300_000, output: "stdout" | "all" = "stdout") => {
    const [bin, ...pre] = command;
    const result = await execa(bin!, [...pre, "-p", name, ...files, ...args], { cwd: REPO, env, reject: false, all: true, timeout: timeoutMs });
    if (result.exitCode !== 0) {
      throw new Error(
        `compose ${args.join(" ")} failed (exit ${result.exitCode ?? result.signal}${result.timedOut ? ", timed out" : ""}):\n${String(result.all ?? "")
          .trim()
          .slice(-3000)}`,
      );
    }
    return String((output === "all" ? result.all : result.stdout) ?? "");
  };
  return {
    name,
    gatewayPort,
    run,
    // -a: compose v2 lists only running containers otherwise (init exits when the boot is done).
    containerId: async (service) => (await run(["ps", "-a", "-q", service], 60_000)).trim(),
    exec: async (service, argv, options = {}) => {
      const id = (await run(["ps", "-a", "-q", service], 60_000)).trim();
      if (!id) throw new Error(`no container for service ${service}`);
      const result = await execa("docker", ["exec", "-i", ...(options.user ? ["-u", options.user] : []), id, ...argv], {
        input: options.input ?? "",
        reject: false,
        timeout: 60_000,
      });
      return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout ?? ""), stderr: String(result.stderr ?? "") };
    },
  };
}

/** Where the engine keeps one of the project's named volumes. */
export const volumeMountpoint = (project: Pick<ComposeProject, "name">, volume: string) =>
  docker(["volume", "inspect", "-f", "{{.Mountpoint}}", `${project.name}_${volume}`]);

/** `down -v`, then the ids of what the project still has: each list empty when everything went. */
export async function downLeftovers(project: ComposeProject): Promise<{ containers: string; volumes: string; networks: string }> {
  await project.run(["down", "-v", "-t", "20"], 300_000);
  const label = `label=com.docker.compose.project=${project.name}`;
  return {
    containers: await docker(["ps", "-aq", "--filter", label]),
    volumes: await docker(["volume", "ls", "-q", "--filter", label]),
    networks: await docker(["network", "ls", "-q", "--filter", label]),
  };
}

export async function docker(args: string[], timeoutMs = 60_000): Promise<string> {
  const result = await execa("docker", args, { reject: false, all: true, timeout: timeoutMs });
  if (result.exitCode !== 0)
    throw new Error(
      `docker ${args.join(" ")} failed (exit ${result.exitCode ?? result.signal}):\n${String(result.all ?? "")
        .trim()
        .slice(-2000)}`,
    );
  return String(result.stdout ?? "").trim();
}

/** Retries `probe` until it returns a value (not undefined) or the time is up; the last error explains a timeout. */
export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  let last = "no answer yet";
  const attempt = async () => {
    try {
      return await probe();
    } catch (error) {
      last = (error as Error).message.slice(0, 500);
      return undefined;
    }
  };
  return poll(attempt, { timeoutMs, intervalMs: 1000, what: () => `${what} (last: ${last})` });
}

export interface ContainerState {
  service: string;
  status: string;
  exitCode: number;
  health: string;
}

/** The project's containers as the engine reports them, through dockerode (read-only calls). */
export async function containerStates(project: string): Promise<ContainerState[]> {
  const docker = new Docker();
  const list = await docker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${project}`] } });
  return Promise.all(
    list.map(async (c) => {
      const info = await docker.getContainer(c.Id).inspect();
      return {
        service: c.Labels["com.docker.compose.service"] ?? c.Names[0] ?? c.Id,
        status: info.State.Status,
        exitCode: info.State.ExitCode,
        health: info.State.Health?.Status ?? "none",
      };
    }),
  );
}

/**
 * `up -d`, then init exited 0 (else an error with its log) and every container of `longRunning`
 * running and healthy: the project's containers as they then are.
 */
export async function upSettled(project: ComposeProject, longRunning: readonly string[]): Promise<ContainerState[]> {
  await project.run(["up", "-d"], 600_000);
  const init = await waitFor("the init container to finish", 300_000, async () => {
    const s = (await containerStates(project.name)).find((c) => c.service === "init");
    return s?.status === "exited" ? s : undefined;
  });
  if (init.exitCode !== 0) throw new Error(`init exited ${init.exitCode}; its log:\n${await project.run(["logs", "--no-color", "init"], 60_000)}`);
  return waitFor("every long-running container running and healthy", 240_000, async () => {
    const all = await containerStates(project.name);
    const up = all.filter((c) => longRunning.includes(c.service) && c.status === "running" && c.health === "healthy");
    return up.length === longRunning.length ? all : undefined;
  });
}
