import { z } from "zod";
import { dnsLabel, duration, httpUrl, path, port } from "../fields.js";

export const gatewaySection = z
  .strictObject({
    kind: z.enum(["nginx", "kong"]).default("nginx"),
    /** The service whose certificate the gateway presents. */
    service: dnsLabel.default("gateway"),
    /** The TOML route map. */
    routes: path.optional(),
    /** A certificate imported for the gateway (e.g. a public one): folder with cert.pem, key.pem, chain.pem. */
    importCert: path.optional(),
    nginx: z
      .strictObject({
        binary: z.string().default("nginx"),
        /** Where the generated config and its PID file live. */
        configDir: path.optional(),
        listen: port.default(8443),
      })
      .prefault({}),
    kong: z
      .strictObject({ adminUrl: httpUrl.default("http://127.0.0.1:8001") })
      .prefault({}),
    jwt: z
      .strictObject({ issuer: z.string().default("bootgate"), ttl: duration.prefault("1h") })
      .prefault({}),
  })
  .prefault({});
