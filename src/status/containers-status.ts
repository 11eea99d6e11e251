// `bootgate status` for Docker: one row per container of the compose project (state, exit code,
// health, start time), plus configured services that have no container. Read-only: list and
// inspect, nothing else. No socket is a row saying so, never an error; neither is an engine
// that refuses or fails — the section says why and the other sections still print. The
// `secrets` column says what of the secrets volume each container mounts (its own folder or the
// whole volume), and the title says when the services share the whole volume.
import { describeCause } from "../errors.js";
import type { ContainerState } from "../docker/container-engine.js";
import { type DockerDeps, openStackDocker, projectContainers } from "../docker/stack-docker.js";
import { secretsMountOf, secretsSharing, type SecretsMount } from "./secrets-sharing.js";
import type { StatusProvider, StatusSection } from "./section.js";

const COLUMNS = ["service", "container", "state", "health", "started", "secrets"];

export interface ContainerRow {
  service: string;
  container: string | null;
  state: string;
  exitCode: number | null;
  health: string | null;
  startedAt: string | null;
  /** What of the secrets volume it mounts; null without a container. */
  secrets: SecretsMount | null;
}

/** "running", "exited (1)", "restarting"…: the exit code where it means something. */
export function describeState(c: Pick<ContainerState, "status" | "exitCode">): string {
  return c.status === "exited" || c.status === "dead" ? `${c.status} (${c.exitCode})` : c.status;
}

export function containerRows(containers: readonly ContainerState[], configured: readonly string[], project = ""): ContainerRow[] {
  const rows: ContainerRow[] = containers.map((c) => ({
    service: c.service ?? "(no service label)",
    container: c.name,
    state: describeState(c),
    exitCode: c.status === "exited" || c.status === "dead" ? c.exitCode : null,
    health: c.health,
    startedAt: c.startedAt ?? null,
    secrets: secretsMountOf(c, project),
  }));
  const seen = new Set(rows.map((r) => r.service));
  for (const name of configured) {
    if (!seen.has(name)) rows.push({ service: name, container: null, state: "no container", exitCode: null, health: null, startedAt: null, secrets: null });
  }
  return rows.sort((a, b) => a.service.localeCompare(b.service) || (a.container ?? "").localeCompare(b.container ?? ""));
}

function notice(message: string, data: Record<string, unknown>): StatusSection {
  return { key: "containers", title: "containers", columns: COLUMNS, rows: [["-", "-", message, "-", "-", "-"]], data };
}

export function containersStatusWith(deps: DockerDeps = {}): StatusProvider {
  return async (config) => {
    const lookup = await openStackDocker(config, deps);
    if (!lookup.available) return notice(`docker socket not available: ${lookup.reason}`, { available: false, reason: lookup.reason });
    const { docker } = lookup;
    try {
      const project = await docker.project();
      if (!project.found) {
        return notice(`compose project unknown: ${project.reason}`, { available: true, socket: docker.socket, project: null, reason: project.reason });
      }
      const containers = await projectContainers(docker.engine, project.name);
      const services = config.services.map((s) => s.name);
      const rows = containerRows(containers, services, project.name);
      const sharing = secretsSharing(containers, services, project.name);
      const shared = sharing === "whole volume shared" ? "; services share the whole secrets volume (no volume subpath: compose/subpath.yml not in use)" : "";
      return {
        key: "containers",
        title: `containers (compose project ${project.name}${shared})`,
        columns: COLUMNS,
        rows: rows.map((r) => [r.service, r.container ?? "-", r.state, r.health ?? "-", r.startedAt ?? "-", r.secrets ?? "-"]),
        data: { available: true, socket: docker.socket, project: project.name, secretsVolume: sharing, containers: rows },
      };
    } catch (error) {
      const reason = describeCause(error);
      return notice(`docker engine error: ${reason}`, { available: true, socket: docker.socket, error: reason });
    }
  };
}

export const containersStatus: StatusProvider = containersStatusWith();
