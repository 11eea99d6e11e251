// Looks inside a test stack's Vault the way an auditor holding the IKM would: logged in as
// bootgate's own identity (its policy lists token accessors and audit devices), revoked on
// dispose. No root token: there is none to be had after the first init.
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Config } from "../../src/config/normalize.js";
import { deriveIdentityKey } from "../../src/vault/derived-keys.js";
import { loginAsBootgate } from "../../src/vault/identity.js";
import { readIkmFile } from "../../src/vault/ikm.js";
import { openKvClient } from "../../src/vault/open-kv-client.js";
import { type KeyringSecrets, loadKeyring } from "../../src/vault/keyring.js";
import { lookupAccessor, lookupSelf, revokeSelf, type TokenInfo } from "../../src/vault/tokens.js";
import { type VaultClient, vaultClientFor } from "../../src/vault/vault-client.js";

export async function keyringSecrets(config: Config, ikmFile: string): Promise<KeyringSecrets> {
  const secrets = await loadKeyring(config.stateDir, await readIkmFile(ikmFile, "test"));
  if (!secrets) throw new Error("no keyring");
  return secrets;
}

export interface Inspector extends AsyncDisposable {
  /** Logged in as bootgate (policy `bootgate`). */
  root: VaultClient;
  accessor: string;
  /** Every live token except the inspector's own, with its details. */
  liveTokens(): Promise<TokenInfo[]>;
}

export async function inspectVault(config: Config, ikmFile: string): Promise<Inspector> {
  const plain = await vaultClientFor(config);
  const login = await loginAsBootgate(plain, deriveIdentityKey(await readIkmFile(ikmFile, "test"))).finally(() => plain.close());
  if (!login.ok) throw new Error(`inspectVault: bootgate's login was refused: ${login.detail}`);
  const root = await vaultClientFor(config, login.token);
  const self = await lookupSelf(root);
  return {
    root,
    accessor: self!.accessor,
    async liveTokens() {
      const list = (await root.api.list("auth/token/accessors")) as { data: { keys: string[] } };
      const infos = await Promise.all(list.data.keys.filter((a) => a !== self!.accessor).map((a) => lookupAccessor(root, a)));
      return infos.filter((i): i is TokenInfo => i !== undefined);
    },
    async [Symbol.asyncDispose]() {
      await revokeSelf(root);
      root.close();
    },
  };
}

/** A client holding `token`, for "does this token still work" checks. */
export async function clientWithToken(config: Config, token: string): Promise<VaultClient> {
  return vaultClientFor(config, token);
}

/** Every regular file under `dir` (recursively) with its bytes. */
export async function allFiles(dir: string): Promise<{ path: string; bytes: Buffer }[]> {
  const out: { path: string; bytes: Buffer }[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await allFiles(p)));
    else if (e.isFile()) out.push({ path: p, bytes: await readFile(p) });
  }
  return out;
}

/** The files under `dirs` (and the given texts) that contain any of `needles`, in any of utf8, base64 or hex. */
export async function whereFound(dirs: string[], texts: Record<string, string>, needles: string[]): Promise<string[]> {
  const forms = needles.flatMap((n) => [Buffer.from(n), Buffer.from(Buffer.from(n).toString("base64")), Buffer.from(Buffer.from(n).toString("hex"))]);
  const hits: string[] = [];
  const files = (await Promise.all(dirs.map(allFiles))).flat();
  for (const f of files) if (forms.some((needle) => f.bytes.includes(needle))) hits.push(f.path);
  for (const [name, text] of Object.entries(texts)) if (forms.some((needle) => Buffer.from(text).includes(needle))) hits.push(name);
  return hits;
}

/** One KV record read with bootgate's own token, as a later stage would read it. */
export async function readAsBootgate(config: Config, key: string) {
  const kv = await openKvClient(config, "bootgate");
  try {
    return await kv.read(key);
  } finally {
    kv.close();
  }
}
