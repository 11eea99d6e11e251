// Where the gateway's generated files live on the secrets volume.
import { join } from "node:path";
import type { Config } from "../config/normalize.js";

/** The nginx config folder: the configured one, else `<secretsDir>/<gateway>/nginx` (tmpfs). */
export const nginxConfigDir = (config: Config) => config.gateway.nginx.configDir ?? join(config.secretsDir, config.gateway.service, "nginx");

/** Kong's declarative config folder (DB-less): the configured one, else `<secretsDir>/<gateway>/kong` (tmpfs). */
export const kongConfigDir = (config: Config) => config.gateway.kong.configDir ?? join(config.secretsDir, config.gateway.service, "kong");

export const caBundlePath = (config: Config) => join(config.secretsDir, "ca", "ca.pem");
