import { z } from "zod";
import { dnsLabel, duration, httpUrl, ipAddress, path, port } from "../fields.js";

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
        /** `nginx` means Debian's /usr/sbin/nginx. */
        binary: z.string().default("nginx"),
        /** Where the generated config, its TLS files and PID file live; default `<secretsDir>/<service>/nginx` (tmpfs: the key is there). */
        configDir: path.optional(),
        /**
         * nginx's prefix (-p): its pid file, error log and temp folders; default configDir. A gateway
         * container with the secrets volume mounted read-only points this at its own writable /tmp.
         */
        runtimeDir: path.optional(),
        listen: port.default(8443),
        /** The address nginx listens on (0.0.0.0 inside a container). */
        address: ipAddress.default("127.0.0.1"),
        /** How long proxy-setup waits for a reloaded nginx to serve the new generation. */
        reloadTimeout: duration.prefault("15s"),
        /** The njs module nginx loads for the JWT check. */
        njsModule: path.default("/usr/lib/nginx/modules/ngx_http_js_module.so"),
        /** DNS servers to resolve upstream names per request (Docker: [127.0.0.11]); without, nginx resolves them at load. */
        resolver: z.array(ipAddress, { error: "expected a list of DNS server IP addresses" }).min(1).optional(),
      })
      .prefault({}),
    kong: z
      .strictObject({
        /**
         * admin-api: PUT entities into a running Kong with a database. declarative: write a DB-less
         * declarative config onto the secrets volume for Kong to start on (no Admin API at boot).
         */
        mode: z.enum(["admin-api", "declarative"], { error: "expected `admin-api` or `declarative`" }).default("admin-api"),
        adminUrl: httpUrl.default("http://127.0.0.1:8001"),
        /** declarative: the folder of kong.yml; default `<secretsDir>/<service>/kong` (tmpfs: the keys are in it). */
        configDir: path.optional(),
        /** declarative: the port of Kong's TLS proxy listener, probed for the new certificate after a reload. */
        proxyPort: port.default(8443),
        /** declarative: how long proxy-setup waits for a reloaded Kong to serve the new certificate. */
        reloadTimeout: duration.prefault("15s"),
      })
      .prefault({}),
    jwt: z
      .strictObject({
        /** The `iss` claim; also the Kong JWT credential's key. */
        issuer: z
          .string()
          .regex(/^[A-Za-z0-9._:-]{1,64}$/, "expected an issuer of letters, digits and . _ : -")
          .default("bootgate"),
        /** Default lifetime of `bootgate token`. */
        ttl: duration.prefault("1h"),
        /** How often the agent makes a new signing key; the one before stays valid for one more rotation. */
        rotate: duration.prefault("30d").refine((ms) => ms >= 1_000, "expected a rotation period of at least 1s"),
      })
      .prefault({}),
  })
  .prefault({});
