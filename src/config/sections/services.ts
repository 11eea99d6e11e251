import { z } from "zod";
import { isReloadSignal } from "../../docker/signals.js";
import { BOOTGATE_DIR, CA_DIR } from "../../volume/layout.js";
import { dnsLabel, hostname, ipAddress, path, unixId } from "../fields.js";
import { serviceDatabase } from "./postgres.js";

/** bootgate's own folder (its Vault token for the later stages) sits beside the services'. */
export const RESERVED_SERVICE_NAMES = [BOOTGATE_DIR, CA_DIR];

export const serviceEntry = z.strictObject({
  /** A DNS label; also the folder name under secretsDir. */
  name: dnsLabel.refine((n) => !RESERVED_SERVICE_NAMES.includes(n), {
    message: `expected a name other than ${RESERVED_SERVICE_NAMES.map((n) => `\`${n}\``).join(" or ")} (folders bootgate keeps for itself)`,
  }),
  /** Extra DNS SANs; the service name itself is always one. */
  dns: z.array(hostname, { error: "expected a list of DNS names" }).default([]),
  ip: z.array(ipAddress, { error: "expected a list of IP addresses" }).default([]),
  /** Owner of the service's folder and key, applied when bootgate runs as root. */
  uid: unixId.optional(),
  gid: unixId.optional(),
  /** Key readable by `gid` too (0640), for servers that read their key as a group member. */
  groupReadKey: z.boolean().default(false),
  /** A PostgreSQL role (and database or schema) for this service, its password kept in Vault. */
  database: serviceDatabase.optional(),
  /** A leaf imported as is (e.g. a public certificate): folder with cert.pem, key.pem and optionally chain.pem. */
  importCert: path.optional(),
  /**
   * The service runs on another host and enrolls over the network (`bootgate enroll`, docs/enroll.md):
   * pki-init writes no folder for it and no token file, but it has its PKI role, its Vault policy
   * and (with `database`) its credentials like any other.
   */
  remote: z.boolean({ error: "expected true or false" }).default(false),
  /**
   * Signal sent to the service's running container(s) when a run reissues its certificate
   * (e.g. SIGHUP), so it reloads instead of serving the old one until restarted.
   */
  reload: z
    .string({ error: "expected a signal name such as SIGHUP or SIGUSR1" })
    .refine(isReloadSignal, { error: (issue) => `expected a signal name such as SIGHUP or SIGUSR1 (not SIGKILL or SIGSTOP), got \`${String(issue.input)}\`` })
    .optional(),
});

export const servicesSection = z.array(serviceEntry, { error: "expected a list of services" }).superRefine((services, ctx) => {
  const seen = new Map<string, number>();
  services.forEach((s, i) => {
    const first = seen.get(s.name);
    if (first !== undefined) {
      ctx.addIssue({ code: "custom", path: [i, "name"], message: `expected a unique name; \`${s.name}\` is also services.${first}.name` });
    } else seen.set(s.name, i);
  });
});
