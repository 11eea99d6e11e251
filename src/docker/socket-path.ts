// Where the Docker engine's socket is: `docker.socket` (or BOOTGATE_DOCKER_SOCKET, applied to
// the config at load), else DOCKER_HOST when it is a unix:// address, else the default socket
// when it exists. No socket is not an error: the container features are simply off.
import { stat } from "node:fs/promises";

export const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";

export type SocketLookup = { found: true; path: string; from: "docker.socket" | "DOCKER_HOST" | "default" } | { found: false; reason: string };

export interface SocketLookupInput {
  configured: string | undefined;
  env: NodeJS.ProcessEnv;
  /** Whether `path` is a socket (tests pass a fake). */
  isSocket?: (path: string) => Promise<boolean>;
}

export async function isUnixSocket(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isSocket();
  } catch {
    return false;
  }
}

export async function findDockerSocket(input: SocketLookupInput): Promise<SocketLookup> {
  const isSocket = input.isSocket ?? isUnixSocket;
  if (input.configured !== undefined) {
    return (await isSocket(input.configured))
      ? { found: true, path: input.configured, from: "docker.socket" }
      : { found: false, reason: `no unix socket at ${input.configured} (docker.socket)` };
  }
  const host = input.env.DOCKER_HOST;
  if (host) {
    // tcp:// and ssh:// engines would need their own TLS and credentials; only unix:// is supported.
    if (!host.startsWith("unix://")) return { found: false, reason: `DOCKER_HOST is a ${host.split("://")[0]}:// address; only unix:// sockets are supported` };
    const path = host.slice("unix://".length);
    return (await isSocket(path)) ? { found: true, path, from: "DOCKER_HOST" } : { found: false, reason: `no unix socket at ${path} (DOCKER_HOST)` };
  }
  return (await isSocket(DEFAULT_DOCKER_SOCKET))
    ? { found: true, path: DEFAULT_DOCKER_SOCKET, from: "default" }
    : { found: false, reason: `no unix socket at ${DEFAULT_DOCKER_SOCKET}, and neither docker.socket nor DOCKER_HOST is set` };
}
