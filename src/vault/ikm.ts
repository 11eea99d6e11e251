// Input key material for the keyring: from an operator's hook command (stdout, hex) or a file
// (hex). It stays in memory: never logged, never written, never on a command line, and never
// quoted in an error (a message says what was wrong with it, not what it was).
import { readFile } from "node:fs/promises";
import type { Config } from "../config/normalize.js";
import { ConfigError } from "../errors.js";

export const MIN_IKM_BYTES = 32;
const HOOK_TIMEOUT_MS = 30_000;

function parseHex(text: string): Buffer | undefined {
  const hex = text.trim();
  if (hex.length === 0 || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) return undefined;
  return Buffer.from(hex, "hex");
}

function checked(bytes: Buffer | undefined, source: string, field: string, what: string): Buffer {
  if (bytes === undefined) {
    throw new ConfigError(source, [{ path: field, message: `expected ${what} to be hexadecimal key material (an even number of 0-9a-f digits)` }]);
  }
  if (bytes.length < MIN_IKM_BYTES) {
    bytes.fill(0);
    throw new ConfigError(source, [
      { path: field, message: `expected ${what} to hold at least ${MIN_IKM_BYTES} bytes (${MIN_IKM_BYTES * 2} hex digits) of key material` },
    ]);
  }
  return bytes;
}

export async function readIkmFile(file: string, source: string): Promise<Buffer> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new ConfigError(source, [{ path: "vault.ikm.file", message: `expected a readable file at ${file} (${code})` }]);
  }
  return checked(parseHex(text), source, "vault.ikm.file", `the file ${file}`);
}

export async function runIkmHook(argv: readonly string[], source: string): Promise<Buffer> {
  const [command, ...args] = argv;
  const shown = `the hook \`${command}\``;
  // Loaded here: a run without a hook need not carry execa (memory at 500 services, heap-flags.ts).
  const { execa } = await import("execa");
  // reject:false — execa's own error text quotes the child's output, which is the secret.
  const result = await execa(command!, args, { reject: false, stdin: "ignore", stderr: "ignore", timeout: HOOK_TIMEOUT_MS, encoding: "utf8" });
  if (result.failed) {
    const why = result.timedOut
      ? `timed out after ${HOOK_TIMEOUT_MS / 1000}s`
      : result.exitCode !== undefined
        ? `exited with code ${result.exitCode}`
        : (result.code ?? "failed to start");
    throw new ConfigError(source, [{ path: "vault.ikm.command", message: `expected ${shown} to print key material and exit 0; it ${why}` }]);
  }
  return checked(parseHex(String(result.stdout)), source, "vault.ikm.command", `the output of ${shown}`);
}

/** The configured IKM. The caller zeroes it when done. */
export async function loadIkm(config: Config): Promise<Buffer> {
  const ikm = config.vault.ikm;
  if (!ikm) {
    throw new ConfigError(config.source, [
      { path: "vault.ikm", message: "expected `{ file: PATH }` or `{ command: [ARGV…] }`: the keyring of unseal keys is encrypted with it" },
    ]);
  }
  return "file" in ikm ? readIkmFile(ikm.file, config.source) : runIkmHook(ikm.command, config.source);
}
