// The per-service folder on the secrets volume: the public interface services read.
import type { ServiceConfig } from "../config/schema.js";
import { serviceDir } from "../volume/layout.js";
import { ensureDir, type WriteOptions } from "./atomic-write.js";

/** 0700, or 0750 where a group must read it; owned by the service when running as root. */
export function serviceDirOptions(service: Pick<ServiceConfig, "uid" | "gid">): WriteOptions {
  return { mode: service.gid !== undefined ? 0o750 : 0o700, uid: service.uid, gid: service.gid };
}

/** Secret files (keys, tokens): 0600, or 0640 where the service asks its group to read them. */
export function secretFileOptions(service: Pick<ServiceConfig, "uid" | "gid" | "groupReadKey">): WriteOptions {
  const groupRead = service.groupReadKey && service.gid !== undefined;
  return { mode: groupRead ? 0o640 : 0o600, uid: service.uid, gid: service.gid };
}

/** Public files (certificates, CA bundle): readable by the service's group and others in its folder. */
export function publicFileOptions(service: Pick<ServiceConfig, "uid" | "gid">): WriteOptions {
  return { mode: 0o644, uid: service.uid, gid: service.gid };
}

export async function ensureServiceDir(secretsDir: string, service: ServiceConfig): Promise<string> {
  const dir = serviceDir(secretsDir, service.name);
  await ensureDir(dir, serviceDirOptions(service));
  return dir;
}
