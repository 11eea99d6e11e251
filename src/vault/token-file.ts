// <secretsDir>/<service>/token.json: the one file a service reads to reach Vault.
import { readFile } from "node:fs/promises";
import { writeFileAtomic, type WriteOptions } from "../fs/atomic-write.js";
import { servicePath } from "../volume/layout.js";
import type { TokenFile } from "./layout.js";

function isTokenFile(value: unknown): value is TokenFile {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    ["token", "accessor", "address", "serverName", "kvMount", "kvPrefix", "bootId", "issuedAt"].every((k) => typeof v[k] === "string") &&
    Array.isArray(v.policies)
  );
}

/** The token file, or undefined when it is missing (a fresh tmpfs) or not one of ours. */
export async function readTokenFile(secretsDir: string, identity: string): Promise<TokenFile | undefined> {
  let text: string;
  try {
    text = await readFile(servicePath(secretsDir, identity, "token"), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return isTokenFile(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export async function writeTokenFile(secretsDir: string, identity: string, body: TokenFile, options: WriteOptions): Promise<void> {
  await writeFileAtomic(servicePath(secretsDir, identity, "token"), JSON.stringify(body, null, 2) + "\n", options);
}
