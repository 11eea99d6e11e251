// PKI helpers for tests: a config for pki-init in a temp folder, pki-init run in-process or
// through the built CLI, and reads of what it wrote. Other parts may use `provisionTestPki`
// to get real pki-init certificates for their own tests.
import { X509Certificate } from "node:crypto";
import { access, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { stringify } from "yaml";
import { parseConfigText } from "../../src/config/load.js";
import type { Config } from "../../src/config/normalize.js";
import type { ConfigInput } from "../../src/config/schema.js";
import { type ProvisionOptions, type ProvisionResult, provisionPki } from "../../src/pki/provision.js";
import { servicePath } from "../../src/volume/layout.js";

export const REPO_ROOT = resolve(import.meta.dirname, "../..");
export const BOOTGATE_BIN = join(REPO_ROOT, "bin", "bootgate.js");

export type PkiTestInput = Partial<ConfigInput> & { services: NonNullable<ConfigInput["services"]> };

/** A config whose secretsDir and stateDir sit in `dir`, as `bootgate` would load it. */
export function pkiTestConfig(dir: string, input: PkiTestInput): Config {
  const doc = { secretsDir: "./secrets", stateDir: "./state", ...input };
  return parseConfigText(stringify(doc), { source: join(dir, "bootgate.yaml"), baseDir: dir, env: {} });
}

export async function writePkiTestConfig(dir: string, input: PkiTestInput): Promise<string> {
  const file = join(dir, "bootgate.yaml");
  await writeFile(file, stringify({ secretsDir: "./secrets", stateDir: "./state", ...input }));
  return file;
}

/** pki-init's work in-process, for a test that needs real certificates on a volume. */
export async function provisionTestPki(dir: string, input: PkiTestInput, options?: ProvisionOptions): Promise<{ config: Config; result: ProvisionResult }> {
  const config = pkiTestConfig(dir, input);
  return { config, result: await provisionPki(config, options) };
}

/** `node bin/bootgate.js …` on the built tree; fails with how to build it when dist/ is missing. */
export async function runBuiltCli(args: string[], env: Record<string, string> = {}) {
  try {
    await access(join(REPO_ROOT, "dist", "cli", "entry.js"));
  } catch {
    throw new Error("dist/ is missing: run `make build` (or `npx tsc -p tsconfig.build.json`) first");
  }
  return execa("node", [BOOTGATE_BIN, ...args], { reject: false, env: { ...env, BOOTGATE_CONFIG: "" }, stdin: "ignore" });
}

export async function readLeaf(secretsDir: string, service: string): Promise<X509Certificate> {
  return new X509Certificate(await readFile(servicePath(secretsDir, service, "cert"), "utf8"));
}

export async function serialsOf(secretsDir: string, services: string[]): Promise<Record<string, string>> {
  const entries = await Promise.all(services.map(async (s) => [s, (await readLeaf(secretsDir, s)).serialNumber] as const));
  return Object.fromEntries(entries);
}
