// bootgate ca csr --out FILE | ca install FILE: the offline root's intermediate (pki.ca.import with
// pki.issuer vault). `csr` has Vault's PKI engine generate the intermediate's key, which never
// leaves Vault, and writes the request; the operator signs it with the offline root; `install`
// checks what came back (for that key, a CA, valid now, signed by the imported root) before it
// changes anything, then hands it to Vault (`intermediate/set-signed`) as the default issuer.
import { readFile } from "node:fs/promises";
import { loadConfig } from "../config/load.js";
import type { Config } from "../config/normalize.js";
import { UsageError } from "../errors.js";
import { ensureDir, writeFileAtomic } from "../fs/atomic-write.js";
import { readMaterial } from "../pki/material-checks.js";
import { usesOfflineRoot } from "../pki/offline-mode.js";
import { loadOfflineRoot, offlineRootFile, pemOf } from "../pki/offline-root.js";
import { checkSignedIntermediate } from "../pki/signed-intermediate.js";
import { withBootgateLogin } from "../vault/bootgate-login.js";
import { NodeVaultPkiEngine } from "../vault/node-vault-pki-engine.js";
import { KEY_TYPES, MOUNT_EXTRA_MS } from "../vault/pki-setup.js";
import { installedIntermediatePath, offlinePkiDir, pendingCsrPath } from "../volume/layout.js";
import { parse, secretsDirFlag } from "./options.js";

export const CA_USAGE = "usage: bootgate ca csr --out FILE | bootgate ca install FILE [--config FILE] [--secrets-dir DIR] [--json]";
/** The intermediate's name; the offline root's signature is what makes it the stack's. */
const INTERMEDIATE_CN = "bootgate intermediate CA";

export async function caCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse("ca", argv, { out: { type: "string" } }, true);
  if (values.help) {
    process.stdout.write(CA_USAGE + "\n");
    return 0;
  }
  const [sub, ...rest] = positionals;
  if (sub === "csr" && rest.length === 0) {
    if (!values.out) throw new UsageError(`Expected \`--out FILE\` for bootgate ca csr\n${CA_USAGE}`);
    return csr(await offlineConfig(values), values.out, values.json);
  }
  if (sub === "install" && rest.length === 1) return install(await offlineConfig(values), rest[0]!, values.json);
  throw new UsageError(`Expected \`csr --out FILE\` or \`install FILE\`, got \`${positionals.join(" ")}\`\n${CA_USAGE}`);
}

async function offlineConfig(values: { config?: string | undefined; "secrets-dir"?: string | undefined }): Promise<Config> {
  const config = await loadConfig({ file: values.config, overrides: { secretsDir: secretsDirFlag(values["secrets-dir"]) } });
  if (!usesOfflineRoot(config))
    throw new UsageError(
      `Expected pki.ca \`{ import: DIR }\` with pki.issuer \`vault\` in ${config.source} (the offline root): otherwise bootgate makes the intermediate itself`,
    );
  return config;
}

async function csr(config: Config, out: string, json: boolean): Promise<number> {
  await loadOfflineRoot(config, new Date());
  const { keyType, keyBits } = KEY_TYPES[config.pki.keyAlgorithm];
  const request = await withBootgateLogin(config, async (admin) => {
    const engine = new NodeVaultPkiEngine(admin, config.vault.pkiMount);
    await engine.ensureMount(config.pki.validityMs + MOUNT_EXTRA_MS);
    return engine.generateIntermediateCsr(INTERMEDIATE_CN, keyType, keyBits);
  });
  // Public: the request carries only the public key. The state folder's copy is what install checks against.
  await ensureDir(offlinePkiDir(config.stateDir), { mode: 0o700 });
  await writeFileAtomic(pendingCsrPath(config.stateDir), request, { mode: 0o644 });
  await writeFileAtomic(out, request, { mode: 0o644 });
  process.stdout.write(
    json
      ? JSON.stringify({ csr: out }) + "\n"
      : `wrote ${out}: sign it with the offline root (${offlineRootFile(config)}) as a CA, then \`bootgate ca install SIGNED\`\n`,
  );
  return 0;
}

async function install(config: Config, file: string, json: boolean): Promise<number> {
  const now = new Date();
  const root = await loadOfflineRoot(config, now);
  const text = await readMaterial(file, "ca install (signed intermediate)");
  const pending = await readFile(pendingCsrPath(config.stateDir), "utf8").catch(() => {
    throw new UsageError(
      `Expected a pending request from \`bootgate ca csr\` (${pendingCsrPath(config.stateDir)}), found none: run \`bootgate ca csr --out FILE\` first`,
    );
  });
  const cert = checkSignedIntermediate(file, text, root, offlineRootFile(config), pending, now);
  const certPem = pemOf(cert);
  const id = await withBootgateLogin(config, async (admin) => {
    const engine = new NodeVaultPkiEngine(admin, config.vault.pkiMount);
    const issuer = await engine.installSignedIntermediate(certPem + pemOf(root), certPem);
    await engine.setDefaultIssuer(issuer);
    return issuer;
  });
  await writeFileAtomic(installedIntermediatePath(config.stateDir), certPem, { mode: 0o644 });
  process.stdout.write(
    json
      ? JSON.stringify({ issuer: id, serial: cert.serialNumber.toLowerCase(), notAfter: new Date(cert.validTo).toISOString() }) + "\n"
      : `installed ${file} as Vault's default issuer ${id} (until ${new Date(cert.validTo).toISOString()}); run \`bootgate run\` to move the stack onto it\n`,
  );
  return 0;
}
