// Config text parsed as if it were /etc/bootgate.yaml, and the refusal it must raise.
import { expect } from "vitest";
import { parseConfigText } from "../../src/config/load.js";
import type { Config } from "../../src/config/normalize.js";
import { ConfigError } from "../../src/errors.js";

export const CONFIG_SOURCE = "/etc/bootgate.yaml";

export const parseConfig = (text: string, env: NodeJS.ProcessEnv = {}): Config => parseConfigText(text, { source: CONFIG_SOURCE, baseDir: "/etc/bg", env });

/** The ConfigError the text must be refused with; fails the test when it is accepted. */
export function configRefusal(text: string, env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    parseConfig(text, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected the config to be refused");
}
