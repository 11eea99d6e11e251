// The POSIX sh waiter, run under dash as the postgres/nginx/openbao images would.
import { execFileSync, spawn } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { beginBoot, openGate } from "../../../src/gates/gate-file.js";
import { bootPath, gatesDir, waiterScriptPath } from "../../../src/volume/layout.js";
import { installWaiterScript } from "../../../src/gates/install-waiter.js";
import { tempDir } from "../../support/tmp-dir.js";

function dashPath(): string {
  try {
    return execFileSync("sh", ["-c", "command -v dash"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("dash is missing: run `make tools` (or apt-get install dash)");
  }
}

function runDash(script: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(dashPath(), [script, ...args], { stdio: ["ignore", "pipe", "pipe"], env });
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { child, exited, out: () => out, err: () => err };
}

const within = <T>(p: Promise<T>, ms: number) => Promise.race([p.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

describe("wait.sh under dash", () => {
  it("should, as the copy compose mounts (compose/wait.sh), wait for a gates folder that does not exist yet and exec once the gate opens", async () => {
    await using dir = await tempDir();
    const script = resolve(import.meta.dirname, "../../../compose/wait.sh");
    const run = runDash(script, ["-t", "20", "pki-ready", "--", "sh", "-c", "echo released"], { ...process.env, BOOTGATE_GATES_DIR: gatesDir(dir.path) });
    expect(await within(run.exited, 600)).toBe(false);
    const boot = await beginBoot(dir.path);
    await openGate(dir.path, "pki-ready", boot.bootId);
    expect(await run.exited).toBe(0);
    expect(run.out()).toBe("released\n");
  });

  it("should exec the command once every gate of the current boot is open, and not on a stale gate", async () => {
    await using dir = await tempDir();
    const boot = await beginBoot(dir.path);
    const script = await installWaiterScript(dir.path);
    expect(script).toBe(waiterScriptPath(dir.path));
    await openGate(dir.path, "pki-ready", boot.bootId);
    await openGate(dir.path, "vault-ready", "an-earlier-boot");
    const run = runDash(script, ["-t", "20", "pki-ready", "vault-ready", "--", "sh", "-c", 'echo "exec\'d with $# args: $1"', "x", "hello"]);
    expect(await within(run.exited, 600)).toBe(false);
    await openGate(dir.path, "vault-ready", boot.bootId);
    expect(await run.exited).toBe(0);
    expect(run.out()).toBe("exec'd with 1 args: hello\n");
  });

  it("should exit 124 naming the missing gates when the time runs out", async () => {
    await using dir = await tempDir();
    await beginBoot(dir.path);
    const script = await installWaiterScript(dir.path);
    const run = runDash(script, ["-t", "1", "db-ready", "--", "true"]);
    expect(await run.exited).toBe(124);
    expect(run.err()).toContain("gates still missing: db-ready");
  });

  it("should refuse every gate when the boot file was written under another kernel boot", async () => {
    await using dir = await tempDir();
    const boot = await beginBoot(dir.path);
    const script = await installWaiterScript(dir.path);
    await openGate(dir.path, "pki-ready", boot.bootId);
    // Rewrite the boot record as if the host had rebooted since.
    const { writeFile } = await import("node:fs/promises");
    await writeFile(bootPath(dir.path), JSON.stringify({ ...boot, kernelBootId: "00000000-0000-0000-0000-000000000000" }) + "\n");
    const run = runDash(script, ["-t", "1", "pki-ready"]);
    expect(await run.exited).toBe(124);
  });

  it("should exit 0 without a command when the gates are open", async () => {
    await using dir = await tempDir();
    const boot = await beginBoot(dir.path);
    const script = await installWaiterScript(dir.path);
    await openGate(dir.path, "pki-ready", boot.bootId);
    expect(await runDash(script, ["pki-ready"]).exited).toBe(0);
  });
});
