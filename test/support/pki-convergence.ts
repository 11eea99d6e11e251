// What "converged" means for Vault's PKI handover (pki.issuer: vault), checked against the real
// OpenBao with bootgate's own login and against the volume with openssl: one intermediate with a
// key in the mount, and it the default; only the root beside it; the mount fully configured
// (CRL, OCSP, URLs, auto-tidy, a role per service); every leaf on the volume chaining through that
// intermediate to ca/ca.pem's root; Vault's listener serving the leaf on the volume; the gates open.
// Returns every problem found, so a failing cut says all that is wrong at once.
import { X509Certificate } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import type { Config } from "../../src/config/normalize.js";
import { BOOTGATE_LEAF } from "../../src/pki/bootgate-leaf.js";
import { splitCertificates } from "../../src/pki/pem.js";
import { pathExists } from "../../src/util/path-exists.js";
import { poll } from "../../src/util/poll.js";
import { caBundlePath, sealedIntermediatePath } from "../../src/volume/layout.js";
import { servedSerial } from "./served-serial.js";
import { inspectVault } from "./vault-inspect.js";

export interface MountIssuer {
  id: string;
  certPem: string;
  keyId: string;
}

export interface MountState {
  defaultId: string;
  issuers: MountIssuer[];
  keys: string[];
  roles: string[];
  crl: { auto_rebuild?: boolean; ocsp_disable?: boolean; disable?: boolean };
  ocspServers: string[];
  autoTidy: boolean;
}

type Body = { data: Record<string, unknown> };

export async function pkiMountState(config: Config, ikmFile: string): Promise<MountState> {
  const mount = config.vault.pkiMount;
  await using inspector = await inspectVault(config, ikmFile);
  const api = inspector.root.api;
  const list = async (path: string) => (((await api.list(path)) as Body).data.keys as string[] | undefined) ?? [];
  const read = async (path: string) => ((await api.read(path)) as Body).data;
  const issuers: MountIssuer[] = [];
  for (const id of await list(`${mount}/issuers`)) {
    const d = await read(`${mount}/issuer/${id}`);
    issuers.push({ id, certPem: String(d.certificate), keyId: String(d.key_id ?? "") });
  }
  return {
    defaultId: String((await read(`${mount}/config/issuers`)).default ?? ""),
    issuers,
    keys: await list(`${mount}/keys`),
    roles: await list(`${mount}/roles`),
    crl: (await read(`${mount}/config/crl`)) as MountState["crl"],
    ocspServers: ((await read(`${mount}/config/urls`)).ocsp_servers as string[] | undefined) ?? [],
    autoTidy: (await read(`${mount}/config/auto-tidy`)).enabled === true,
  };
}

const same = (a: string, b: string) => new X509Certificate(a).fingerprint256 === new X509Certificate(b).fingerprint256;

/** openssl verify of a leaf, its chain after it as the only untrusted links, against `caFile` alone. */
async function opensslVerifies(certPem: string, caFile: string, scratch: string): Promise<boolean> {
  const [leaf, ...chain] = splitCertificates(certPem);
  const base = join(scratch, `verify-${Math.random().toString(16).slice(2)}`);
  await writeFile(`${base}.leaf`, leaf!);
  await writeFile(`${base}.chain`, chain.join("") || leaf!);
  const r = await execa("openssl", ["verify", "-CAfile", caFile, "-untrusted", `${base}.chain`, `${base}.leaf`], { reject: false });
  return r.exitCode === 0;
}

export interface ConvergenceOptions {
  config: Config;
  ikmFile: string;
  /** A folder for openssl's scratch files. */
  scratch: string;
  /** The root ca/ca.pem must start with (the offline root). */
  rootPem?: string;
  /** Folders whose leaf is not looked at (with the reason in the caller). */
  skipFolders?: string[];
}

export async function convergenceProblems(options: ConvergenceOptions): Promise<string[]> {
  const { config } = options;
  const problems: string[] = [];
  const caFile = caBundlePath(config.secretsDir);
  const bundle = splitCertificates(await readFile(caFile, "utf8").catch(() => ""));
  if (bundle.length !== 2) return [`ca/ca.pem holds ${bundle.length} certificates, expected root + intermediate`];
  const [root, intermediate] = bundle as [string, string];
  if (options.rootPem && !same(root, options.rootPem)) problems.push("ca/ca.pem's root is not the offline root");

  const leaves = new Map<string, string>();
  for (const entry of await readdir(config.secretsDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || options.skipFolders?.includes(entry.name)) continue;
    const pem = await readFile(join(config.secretsDir, entry.name, "cert.pem"), "utf8").catch(() => undefined);
    if (pem !== undefined) leaves.set(entry.name, pem);
  }
  // The listener reloads on SIGHUP asynchronously: it may take a moment to serve the newest leaf.
  const vaultPem = leaves.get(config.vault.service);
  if (vaultPem) {
    const want = new X509Certificate(vaultPem).serialNumber;
    const port = Number(new URL(config.vault.address).port);
    let last = "";
    await poll(
      async () => {
        last = await servedSerial({ port, servername: config.vault.service, ca: bundle.join("") }).catch((e: Error) => `nothing verifiable (${e.message})`);
        return last === want ? true : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100, what: "Vault's listener to serve its leaf" },
    ).catch(() => problems.push(`Vault's listener serves ${last}, expected the leaf on the volume (${want})`));
    // Until it does, nothing verified against ca/ca.pem can look inside Vault.
    if (problems.length > 0) return problems;
  }

  const state = await pkiMountState(config, options.ikmFile);
  const withKey = state.issuers.filter((i) => i.keyId !== "");
  if (withKey.length !== 1) problems.push(`${withKey.length} issuers with a key in the mount, expected 1: ${withKey.map((i) => i.id).join(", ")}`);
  if (state.keys.length !== 1) problems.push(`${state.keys.length} keys in the mount, expected 1`);
  const byDefault = state.issuers.find((i) => i.id === state.defaultId);
  if (!byDefault) problems.push(`the mount's default issuer \`${state.defaultId}\` is none of its issuers`);
  else if (!same(byDefault.certPem, intermediate)) problems.push("the mount's default issuer is not ca/ca.pem's intermediate");
  else if (byDefault.keyId === "") problems.push("the mount's default issuer has no key");
  for (const other of state.issuers.filter((i) => i.id !== state.defaultId)) {
    if (!same(other.certPem, root)) problems.push(`issuer ${other.id} is neither ca/ca.pem's intermediate nor its root`);
    if (other.keyId !== "") problems.push(`issuer ${other.id} (not the default) holds a key`);
  }
  const wantRoles = [...new Set([...config.services.map((s) => s.name), BOOTGATE_LEAF.name])];
  const missingRoles = wantRoles.filter((r) => !state.roles.includes(r));
  if (missingRoles.length > 0) problems.push(`no role for ${missingRoles.join(", ")}`);
  if (state.crl.auto_rebuild !== true || state.crl.ocsp_disable !== false || state.crl.disable !== false) {
    problems.push(`config/crl is not as bootgate sets it: ${JSON.stringify(state.crl)}`);
  }
  const ocsp = `${config.vault.address.replace(/\/+$/, "")}/v1/${config.vault.pkiMount}/ocsp`;
  if (!state.ocspServers.includes(ocsp)) problems.push(`config/urls has no OCSP server ${ocsp}: ${state.ocspServers.join(", ")}`);
  if (!state.autoTidy) problems.push("auto-tidy is off");

  for (const service of config.services) if (!leaves.has(service.name)) problems.push(`${service.name} has no cert.pem`);
  for (const [name, pem] of leaves) {
    const chain = splitCertificates(pem);
    if (!(await opensslVerifies(pem, caFile, options.scratch))) problems.push(`${name}'s leaf does not verify against ca/ca.pem`);
    else if (chain.length !== 2 || !same(chain[1]!, intermediate)) problems.push(`${name}'s cert.pem does not carry the intermediate after its leaf`);
    if (!new X509Certificate(chain[0]!).checkIssued(new X509Certificate(intermediate))) problems.push(`${name}'s leaf is not issued by the intermediate`);
  }

  for (const gate of ["pki-ready", "vault-ready"]) {
    if (!(await pathExists(join(config.secretsDir, ".gates", gate)))) problems.push(`gate ${gate} is not open`);
  }
  if (await pathExists(sealedIntermediatePath(config.secretsDir))) problems.push("the sealed intermediate is still on the volume");
  return problems;
}
