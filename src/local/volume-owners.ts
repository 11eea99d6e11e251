// BOOTGATE_VOLUME_OWNERS="/volumes/vault-data=vault,/volumes/postgres-data=postgres": the compose
// init container gives each data volume's root to its service's uid/gid (0700) before that service
// starts. Public images do not carry the folder with the stack's owners (compose/public-images.yml);
// the locally built image does, so the default stack does not need it.
import { chmod, chown } from "node:fs/promises";
import type { Config } from "../config/normalize.js";
import { UsageError } from "../errors.js";

export interface VolumeOwner {
  path: string;
  service: string;
  uid: number;
  gid: number;
}

/** Parses the whole spec first, so a bad entry changes nothing. */
export function parseVolumeOwners(spec: string, config: Config): VolumeOwner[] {
  return spec
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean)
    .map((entry) => {
      const [path, name, extra] = entry.split("=");
      const service = config.services.find((s) => s.name === name);
      if (extra !== undefined || !path?.startsWith("/") || path.includes("..") || !service || service.uid === undefined) {
        throw new UsageError(
          `BOOTGATE_VOLUME_OWNERS: expected /absolute/path=service, the service one of ${config.source}'s services with a uid, got \`${entry}\``,
        );
      }
      return { path, service: service.name, uid: service.uid, gid: service.gid ?? service.uid };
    });
}

export async function applyVolumeOwners(owners: readonly VolumeOwner[]): Promise<void> {
  for (const o of owners) {
    await chown(o.path, o.uid, o.gid);
    await chmod(o.path, 0o700);
  }
}
