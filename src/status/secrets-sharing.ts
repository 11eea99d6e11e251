// Whether each service of a compose stack mounts only its own folder of the secrets volume
// (compose/subpath.yml, on engines with volume subpath) or the services share the whole volume
// (older engines, where only uids keep them apart). Read from what the engine says each
// container mounts, not from the compose files: that is what the containers really see.
import type { ContainerState } from "../docker/container-engine.js";

/** The volume's name in compose/docker-compose.yml; the engine's is `<project>_secrets`. */
export const SECRETS_VOLUME = "secrets";

export type SecretsMount = "own folder" | "whole volume" | "none";

export function secretsMountOf(c: Pick<ContainerState, "volumes">, project: string): SecretsMount {
  const mounts = c.volumes.filter((v) => v.volume === `${project}_${SECRETS_VOLUME}`);
  if (mounts.length === 0) return "none";
  return mounts.every((v) => v.subpath !== undefined) ? "own folder" : "whole volume";
}

export type SecretsSharing = "per-service folders" | "whole volume shared" | "unknown";

/**
 * Over the configured services' containers only: init and the holder mount the whole volume by
 * design. "unknown" while no such container mounts the volume (none created yet).
 */
export function secretsSharing(containers: readonly ContainerState[], services: readonly string[], project: string): SecretsSharing {
  const seen = containers
    .filter((c) => c.service !== undefined && services.includes(c.service))
    .map((c) => secretsMountOf(c, project))
    .filter((m) => m !== "none");
  if (seen.length === 0) return "unknown";
  return seen.includes("whole volume") ? "whole volume shared" : "per-service folders";
}
