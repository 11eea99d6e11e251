// Checks that need two sections at once, on the normalized config (paths resolved): run by
// parseConfigText after the schema, so the message still names the file and the field.
import { relative, isAbsolute } from "node:path";
import type { ConfigIssue } from "../errors.js";
import type { Config } from "./normalize.js";

const isInside = (dir: string, parent: string) => {
  const rel = relative(parent, dir);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
};

export function crossCheckIssues(config: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (isInside(config.vault.snapshots.dir, config.secretsDir)) {
    issues.push({
      path: "vault.snapshots.dir",
      message: `expected a folder outside the secrets volume ${config.secretsDir} (a tmpfs, emptied at every boot), got ${config.vault.snapshots.dir}`,
    });
  }
  const names = config.vault.cluster.names;
  const shared = names.indexOf(config.vault.service);
  if (shared >= 0) {
    issues.push({
      path: `vault.cluster.names.${shared}`,
      message: `expected a node name other than \`${config.vault.service}\` (vault.service: the name every node shares as a SAN)`,
    });
  }
  if (config.vault.cluster.nodes > 1 && config.vault.seal === "shamir") {
    // bootgate unseals one node with the shares; a joining node must unseal itself.
    issues.push({
      path: "vault.seal",
      message: `expected \`static\` or \`auto\` with vault.cluster.nodes ${config.vault.cluster.nodes} (a node that joins must unseal itself), got \`shamir\``,
    });
  }
  issues.push(...remoteIssues(config));
  return issues;
}

/** A remote service enrolls through Vault's PKI engine; the stack's own servers cannot be elsewhere. */
function remoteIssues(config: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const local = new Set([config.vault.service, ...config.vault.cluster.names, config.postgres.service, config.gateway.service]);
  config.services.forEach((s, i) => {
    if (!s.remote) return;
    if (local.has(s.name))
      issues.push({ path: `services.${i}.remote`, message: `expected \`${s.name}\` (a server bootgate starts or configures on this host) not to be remote` });
    if (s.importCert !== undefined)
      issues.push({ path: `services.${i}.remote`, message: "expected either remote or importCert: a remote service gets its certificate by enrolling" });
    if (config.pki.issuer !== "vault")
      issues.push({ path: `services.${i}.remote`, message: "expected pki.issuer `vault`: a remote service's certificate is signed by Vault's PKI engine" });
  });
  if (config.agent.enroll && config.pki.issuer !== "vault")
    issues.push({ path: "agent.enroll", message: "expected pki.issuer `vault`: enrollment signs through Vault's PKI engine" });
  return issues;
}
