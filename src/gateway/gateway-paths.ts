// Where the gateway's generated files live on the secrets volume.
import { join } from "node:path";
import type { Config } from "../config/normalize.js";

/** The nginx config folder: the configured one, else `<secretsDir>/<gateway>/nginx` (tmpfs). */
export const nginxConfigDir = (config: Config) => config.gateway.nginx.configDir ?? join(config.secretsDir, config.gateway.service, "nginx");

export const caBundlePath = (config: Config) => join(config.secretsDir, "ca", "ca.pem");
