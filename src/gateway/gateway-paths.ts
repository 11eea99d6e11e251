// Where the gateway's generated files live: the configured folder, else the default in the
// gateway's folder on the secrets volume.
import type { Config } from "../config/normalize.js";
import { kongDir, nginxDir } from "../volume/layout.js";

export const nginxConfigDir = (config: Config) => config.gateway.nginx.configDir ?? nginxDir(config.secretsDir, config.gateway.service);

/** Kong's declarative config folder (DB-less). */
export const kongConfigDir = (config: Config) => config.gateway.kong.configDir ?? kongDir(config.secretsDir, config.gateway.service);
