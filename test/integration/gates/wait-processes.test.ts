// Real `bootgate wait` processes on a real filesystem.
import { spawn } from "node:child_process";
import { chmod, mkdir, rename, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { beginBoot, openGate } from "../../../src/gates/gate-file.js";
import { poll } from "../../../src/util/poll.js";
import { gatePath, gatesDir } from "../../../src/volume/layout.js";
import { tempDir } from "../../support/tmp-dir.js";
import { settledWithin, startWaiter, type Waiter } from "../../support/waiters.js";

const started: Waiter[] = [];
afterEach(() => {
  for (const w of started.splice(0)) w.child.kill("SIGKILL");
});
const waiter = (args: string[]) => {
  const w = startWaiter(args);
  started.push(w);
  return w;
};

describe("bootgate wait (real processes)", () => {
  it("should release 100 concurrent waiters when the gate is written, and none on a gate of an earlier boot", async () => {
    await using dir = await tempDir();
    const boot = await beginBoot(dir.path);
    const waiters = Array.from({ length: 100 }, () => waiter(["pki-ready", "--secrets-dir", dir.path, "--timeout", "120s"]));
    await Promise.all(waiters.map((w) => w.watching));

    // A stale gate: same name, another boot's id. Nobody may pass.
    await openGate(dir.path, "pki-ready", "boot-from-before-the-reboot");
    const anyExited = await settledWithin(Promise.race(waiters.map((w) => w.exited)), 1500);
    expect(anyExited).toBe(false);

    await openGate(dir.path, "pki-ready", boot.bootId);
    const results = await Promise.all(waiters.map((w) => w.exited));
    expect(results.every((r) => r.code === 0)).toBe(true);
  }, 120_000);

  it("should not release on a gate being written under a temporary name, only once it is renamed into place", async () => {
    await using dir = await tempDir();
    const boot = await beginBoot(dir.path);
    const w = waiter(["vault-ready", "--secrets-dir", dir.path]);
    await w.watching;
    const body = JSON.stringify({ gate: "vault-ready", time: new Date().toISOString(), bootId: boot.bootId }) + "\n";
    const temp = join(gatesDir(dir.path), ".vault-ready.abc.tmp");
    // Half of the record, as a writer mid-way would leave it.
    await writeFile(temp, body.slice(0, body.length / 2));
    expect(await settledWithin(w.exited, 500)).toBe(false);
    await writeFile(temp, body);
    await rename(temp, gatePath(dir.path, "vault-ready"));
    expect((await w.exited).code).toBe(0);
  });

  it("should treat a half-written gate file as not open", async () => {
    await using dir = await tempDir();
    const boot = await beginBoot(dir.path);
    const w = waiter(["db-ready", "--secrets-dir", dir.path]);
    await w.watching;
    // What a non-atomic writer would expose: the waiter must not pass on it.
    const body = JSON.stringify({ gate: "db-ready", time: new Date().toISOString(), bootId: boot.bootId });
    await writeFile(gatePath(dir.path, "db-ready"), body.slice(0, body.indexOf(boot.bootId) + 4));
    expect(await settledWithin(w.exited, 500)).toBe(false);
    await openGate(dir.path, "db-ready", boot.bootId);
    expect((await w.exited).code).toBe(0);
  });

  it("should wait for every named gate", async () => {
    await using dir = await tempDir();
    const boot = await beginBoot(dir.path);
    const w = waiter(["a", "b", "--secrets-dir", dir.path]);
    await w.watching;
    await openGate(dir.path, "a", boot.bootId);
    expect(await settledWithin(w.exited, 500)).toBe(false);
    await openGate(dir.path, "b", boot.bootId);
    expect((await w.exited).code).toBe(0);
  });

  it("should wait for a secrets folder that does not exist yet", async () => {
    await using dir = await tempDir();
    const secrets = join(dir.path, "not-yet");
    const w = waiter(["pki-ready", "--secrets-dir", secrets]);
    await w.watching;
    const boot = await beginBoot(secrets);
    await openGate(secrets, "pki-ready", boot.bootId);
    expect((await w.exited).code).toBe(0);
  });

  it("should wait, as a service's own user, beside service folders it may not open (EACCES), for a .gates folder made later", async () => {
    if (process.getuid?.() !== 0) throw new Error("this test drops to another uid and must run as root (as CI does)");
    await using dir = await tempDir();
    await chmod(dir.path, 0o755);
    const secrets = join(dir.path, "secrets");
    await mkdir(join(secrets, "core-metadata"), { recursive: true, mode: 0o700 });
    await chmod(secrets, 0o755);
    // Modules load as root, then the process becomes nobody, as a service container's waiter is.
    const script = `const { waitForGates } = await import(${JSON.stringify(resolve(import.meta.dirname, "../../../dist/gates/wait-for-gates.js"))});
process.setgid(65534); process.setuid(65534);
await waitForGates({ secretsDir: ${JSON.stringify(secrets)}, gates: ["pki-ready"], timeoutMs: 20000, onWaiting: () => console.error("waiting") });
console.log("released");`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    const saidWaiting = () => (err.includes("waiting") || child.exitCode !== null || child.signalCode !== null ? true : undefined);
    await poll(saidWaiting, { timeoutMs: 15_000, intervalMs: 20, what: () => `the waiter to say it was waiting (stderr: ${err})` }).catch((error: unknown) => {
      child.kill("SIGKILL");
      throw error;
    });
    await new Promise((r) => setTimeout(r, 200));
    const boot = await beginBoot(secrets);
    await openGate(secrets, "pki-ready", boot.bootId);
    expect(await exited, err).toBe(0);
    expect(out).toBe("released\n");
  });

  it("should exit 124 on timeout naming the gates still missing", async () => {
    await using dir = await tempDir();
    const boot = await beginBoot(dir.path);
    await openGate(dir.path, "pki-ready", boot.bootId);
    const w = waiter(["pki-ready", "vault-ready", "--secrets-dir", dir.path, "--timeout", "300ms"]);
    const { code } = await w.exited;
    expect(code).toBe(124);
    expect(w.stderr()).toMatch(/gates still missing: vault-ready\n/);
  });

  it("should run the command after the gates open and exit with its code", async () => {
    await using dir = await tempDir();
    const boot = await beginBoot(dir.path);
    await openGate(dir.path, "pki-ready", boot.bootId);
    const w = waiter(["pki-ready", "--secrets-dir", dir.path, "--", "sh", "-c", "echo started; exit 7"]);
    expect((await w.exited).code).toBe(7);
    expect(w.stdout()).toBe("started\n");
  });

  it("should forward SIGTERM to the command and exit with the command's code", async () => {
    await using dir = await tempDir();
    const boot = await beginBoot(dir.path);
    await openGate(dir.path, "pki-ready", boot.bootId);
    const w = waiter([
      "pki-ready",
      "--secrets-dir",
      dir.path,
      "--",
      "sh",
      "-c",
      "trap 'echo got-term; exit 42' TERM; echo ready; while :; do sleep 0.05; done",
    ]);
    await new Promise<void>((r) => {
      const tick = () => (w.stdout().includes("ready") ? r() : setTimeout(tick, 20));
      tick();
    });
    w.child.kill("SIGTERM");
    expect((await w.exited).code).toBe(42);
    expect(w.stdout()).toContain("got-term");
  });

  it("should refuse a gate name that could escape the gates folder", async () => {
    const w = waiter(["../etc/passwd", "--secrets-dir", "/tmp"]);
    expect((await w.exited).code).toBe(2);
    expect(w.stderr()).toContain("`../etc/passwd`");
  });
});
