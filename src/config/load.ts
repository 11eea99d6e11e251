// parse → apply env → validate → normalize. Every problem is reported at once with its
// dotted path; nothing is written before the config is known good.
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { ConfigError, type ConfigIssue } from "../errors.js";
import { EMBEDDED_DEFAULT_YAML } from "./embedded-default.js";
import { crossCheckIssues } from "./cross-checks.js";
import { applyEnvOverrides } from "./env.js";
import { type Config, normalizeConfig } from "./normalize.js";
import { configSchema } from "./schema.js";

export const EMBEDDED_SOURCE = "<embedded default>";

export interface LoadOptions {
  /** --config; when absent BOOTGATE_CONFIG, then the embedded default. */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Command-line overrides (e.g. --secrets-dir), applied last. */
  overrides?: { secretsDir?: string | undefined };
}

export async function loadConfig(options: LoadOptions = {}): Promise<Config> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const requested = options.file ?? env.BOOTGATE_CONFIG;
  let text: string;
  let source: string;
  let baseDir: string;
  if (requested) {
    source = resolve(cwd, requested);
    baseDir = dirname(source);
    try {
      text = await readFile(source, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new ConfigError(source, [{ path: "", message: `expected a readable YAML file (${code ?? "unreadable"})` }], {
        cause: error,
      });
    }
  } else {
    source = EMBEDDED_SOURCE;
    baseDir = cwd;
    text = EMBEDDED_DEFAULT_YAML;
  }
  return parseConfigText(text, { source, baseDir, env, overrides: options.overrides });
}

export function parseConfigText(
  text: string,
  opts: { source: string; baseDir: string; env?: NodeJS.ProcessEnv; overrides?: LoadOptions["overrides"] },
): Config {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      opts.source,
      doc.errors.map((e) => ({
        path: e.linePos ? `line ${e.linePos[0].line}` : "",
        message: `expected valid YAML: ${e.message.split("\n")[0]}`,
      })),
    );
  }
  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ConfigError(opts.source, [{ path: "", message: "expected a YAML mapping at the top level" }]);
  }
  const record = raw as Record<string, unknown>;
  const origins = applyEnvOverrides(record, opts.env ?? process.env);
  if (opts.overrides?.secretsDir) {
    record.secretsDir = opts.overrides.secretsDir;
    origins.set("secretsDir", "--secrets-dir");
  }
  const result = configSchema.safeParse(record);
  if (!result.success) {
    throw new ConfigError(opts.source, toIssues(result.error, origins));
  }
  const config = normalizeConfig(result.data, opts.baseDir, opts.source);
  const crossIssues = crossCheckIssues(config);
  if (crossIssues.length > 0) throw new ConfigError(opts.source, crossIssues);
  return config;
}

function toIssues(error: z.ZodError, origins: Map<string, string>): ConfigIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join(".");
    const origin = origins.get(path);
    let message = issue.message;
    if (issue.code === "unrecognized_keys") {
      message = `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `\`${k}\``).join(", ")}; expected only the documented keys`;
    }
    return { path, message: origin ? `${message} (from ${origin})` : message };
  });
}
