import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/errors.js";
import { provisionTestPki } from "../../support/pki.js";
import { BAD_IMPORTS } from "../../support/pki-bad-imports.js";
import { tempDir } from "../../support/tmp-dir.js";

const entries = (dir: string) => readdir(dir).catch(() => [] as string[]);

describe("pki-init refusing bad imported material", () => {
  for (const bad of BAD_IMPORTS) {
    it(`should refuse ${bad.name}, naming ${bad.file}, and write nothing`, async () => {
      await using dir = await tempDir();
      const input = await bad.build(dir.path);
      const error = await provisionTestPki(dir.path, input).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).file).toBe(join(dir.path, bad.file));
      expect((error as ConfigError).message).toMatch(bad.says);
      expect((error as ConfigError).message).not.toMatch(/PRIVATE KEY/);
      expect(await entries(join(dir.path, "secrets"))).toEqual([]);
    });
  }
});
