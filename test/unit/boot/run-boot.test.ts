import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseConfigText } from "../../../src/config/load.js";
import { runBoot, settleBoot } from "../../../src/boot/run-boot.js";
import { StageError, UsageError } from "../../../src/errors.js";
import { readBoot, readGate } from "../../../src/gates/gate-file.js";
import { gatesDir, WAITER_SCRIPT } from "../../../src/volume/layout.js";
import { stage } from "../../support/fake-stage.js";
import { tempDir } from "../../support/tmp-dir.js";

const configIn = (dir: string) => parseConfigText(`secretsDir: ${join(dir, "secrets")}\nservices: []\n`, { source: "test.yaml", baseDir: dir, env: {} });

describe("the boot sequence", () => {
  it("should begin a boot, install the waiter, open each gate for this boot and report stage times", async () => {
    await using dir = await tempDir();
    const config = configIn(dir.path);
    const seen: string[] = [];
    const run = await runBoot({
      config,
      stages: [stage("a", [], ["a-ready"]), stage("b", ["a-ready"], ["b-ready"])],
      boot: "begin",
      onBoot: (bootId) => seen.push(`boot ${bootId}`),
      onGateOpen: async (gate) => void seen.push(gate),
    });
    expect((await readBoot(config.secretsDir))?.bootId).toBe(run.bootId);
    expect(existsSync(join(gatesDir(config.secretsDir), WAITER_SCRIPT))).toBe(true);
    expect((await readGate(config.secretsDir, "b-ready"))?.bootId).toBe(run.bootId);
    expect(seen).toEqual([`boot ${run.bootId}`, "a-ready", "b-ready"]);
    expect(Object.keys(run.stageTimes)).toEqual(["a", "b"]);
  });

  it("should join the current boot once the gates from outside the run are open", async () => {
    await using dir = await tempDir();
    const config = configIn(dir.path);
    const first = await runBoot({ config, stages: [stage("a", [], ["a-ready"])], boot: "begin" });
    const waited: string[][] = [];
    const run = await runBoot({
      config,
      stages: [stage("b", ["a-ready"], ["b-ready"]), stage("c", ["b-ready"], [])],
      boot: "join",
      waitForGates: async (gates) => void waited.push([...gates]),
    });
    expect(run.bootId).toBe(first.bootId);
    // Once before the run for the boot id, once by the runner for the stage that needs it.
    expect(waited).toEqual([["a-ready"], ["a-ready"]]);
    expect((await readGate(config.secretsDir, "b-ready"))?.bootId).toBe(first.bootId);
  });

  it("should refuse to join when no boot has started", async () => {
    await using dir = await tempDir();
    const error = await runBoot({ config: configIn(dir.path), stages: [stage("b", ["a-ready"], [])], boot: "join", waitForGates: async () => {} }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toMatch(/--only b: no boot has started/);
  });

  it("should throw the first failure, or settle with it in the result", async () => {
    await using dir = await tempDir();
    const config = configIn(dir.path);
    const stages = [stage("a", [], ["a-ready"], async () => Promise.reject(new Error("disk full")), { retries: 0 }), stage("b", ["a-ready"], [])];
    const error = await runBoot({ config, stages, boot: "begin" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StageError);
    expect((error as StageError).stage).toBe("a");
    const settled = await settleBoot({ config, stages, boot: "begin" });
    expect(settled).toMatchObject({ ok: false, skipped: ["b"], opened: [] });
    expect(settled.failures[0]?.stage).toBe("a");
  });

  it("should stop when the caller's signal aborts", async () => {
    await using dir = await tempDir();
    const abort = new AbortController();
    const hangs = stage("a", [], ["a-ready"], (ctx) => new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason))));
    const running = runBoot({ config: configIn(dir.path), stages: [hangs], boot: "begin", signal: abort.signal });
    abort.abort(new Error("a part of the stack failed to start"));
    await expect(running).rejects.toThrow(/a part of the stack failed to start/);
  });
});
