// Flags every command shares, and the parse step that turns a bad flag into a UsageError.
import { parseArgs, type ParseArgsConfig } from "node:util";
import { parseDurationMs } from "../config/duration.js";
import { UsageError } from "../errors.js";

export const COMMON_OPTIONS = {
  config: { type: "string", short: "c" },
  "secrets-dir": { type: "string" },
  json: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const satisfies ParseArgsConfig["options"];

export function parse<T extends NonNullable<ParseArgsConfig["options"]>>(command: string, argv: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError(`bootgate ${command}: ${(error as Error).message}`);
  }
}

export function durationFlag(name: string, value: string | undefined, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  const ms = parseDurationMs(value);
  if (ms === undefined) throw new UsageError(`Expected \`--${name}\` to be a duration such as 60s or 2m, got \`${value}\``);
  return ms;
}

/** --secrets-dir, else BOOTGATE_SECRETS_DIR; undefined lets the config decide. */
export function secretsDirFlag(value: string | undefined): string | undefined {
  return value ?? (process.env.BOOTGATE_SECRETS_DIR || undefined);
}
