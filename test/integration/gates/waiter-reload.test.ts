// The sh waiter's -r/-w (compose/wait.sh, the waiter of the images without Node), run under dash
// on the host with a real child that counts its SIGHUPs: one signal per renewal of the watched
// folder (three renames by the real bundle writer), none for another folder's, TERM passed on and
// the child's exit code returned, the gateway's single-file watch (nginx.conf).
import { execFileSync, spawn } from "node:child_process";
import { rename, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { beginBoot, openGate } from "../../../src/gates/gate-file.js";
import { writeServices } from "../../../src/pki/bundle-writer.js";
import { poll } from "../../../src/util/poll.js";
import { sleep } from "../../../src/util/sleep.js";
import { gatesDir, serviceDir } from "../../../src/volume/layout.js";
import { tempDir } from "../../support/tmp-dir.js";

const SCRIPT = resolve(import.meta.dirname, "../../../compose/wait.sh");
const POLL_S = 0.2;
/** Several polls: long enough for a second signal of one change set to show. */
const QUIET_MS = 1500;

function dashPath(): string {
  try {
    return execFileSync("sh", ["-c", "command -v dash"], { encoding: "utf8" }).trim();
  } catch {
    throw new Error("dash is missing: run `make tools` (or apt-get install dash)");
  }
}

// One line per SIGHUP; exits 7 on TERM (so the code the waiter returns is visibly the child's).
const CHILD = ["-c", 'trap "echo hup" HUP; trap "exit 7" TERM; echo ready; while :; do sleep 0.05; done'];

const running: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const c of running.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
});

function startSh(secrets: string, watch: string) {
  const child = spawn(dashPath(), [SCRIPT, "-t", "20", "-r", "SIGHUP", "-w", watch, "pki-ready", "--", "sh", ...CHILD], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, BOOTGATE_GATES_DIR: gatesDir(secrets), BOOTGATE_RELOAD_POLL: String(POLL_S) },
  });
  running.push(child);
  let out = "";
  let err = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return {
    child,
    exited,
    hups: () => (out.match(/^hup$/gm) ?? []).length,
    ready: () => poll(() => out.includes("ready") || undefined, { timeoutMs: 10_000, intervalMs: 50, what: "the child to start" }),
    err: () => err,
  };
}

const renew = (secretsDir: string, name: string, round: number) =>
  writeServices(secretsDir, [{ service: { name } as never, certPem: `cert ${round}\n`, keyPem: `key ${round}\n`, caPem: `ca ${round}\n` }]);

async function stack(open = true) {
  const dir = await tempDir();
  const secrets = join(dir.path, "secrets");
  const boot = await beginBoot(secrets);
  await renew(secrets, "svc-a", 0);
  await renew(secrets, "svc-b", 0);
  const openPkiReady = () => openGate(secrets, "pki-ready", boot.bootId);
  if (open) await openPkiReady();
  return { dir, secrets, openPkiReady };
}

describe("wait.sh -r SIGNAL -w PATH under dash (real processes)", () => {
  it("should send exactly one SIGHUP per renewal of its folder, none for another's, and pass TERM on returning the child's code", async () => {
    const { dir, secrets } = await stack();
    await using _ = dir;
    const w = startSh(secrets, serviceDir(secrets, "svc-a"));
    await w.ready();
    for (let round = 1; round <= 3; round++) {
      await renew(secrets, "svc-a", round);
      await poll(() => w.hups() >= round || undefined, { timeoutMs: 10_000, intervalMs: 50, what: `SIGHUP number ${round}` });
      await sleep(QUIET_MS);
      expect(w.hups()).toBe(round);
    }
    await renew(secrets, "svc-b", 1);
    await sleep(QUIET_MS);
    expect(w.hups()).toBe(3);
    expect(w.err()).toContain("sending SIGHUP");
    w.child.kill("SIGTERM");
    expect(await w.exited).toBe(7);
  });

  it("should watch a single file (the gateway's nginx.conf) and signal once per rename onto it", async () => {
    const { dir, secrets } = await stack();
    await using _ = dir;
    const conf = join(serviceDir(secrets, "svc-a"), "nginx.conf");
    await writeFile(conf, "gen 0\n");
    const w = startSh(secrets, conf);
    await w.ready();
    await writeFile(`${conf}.tmp`, "gen 1\n");
    await rename(`${conf}.tmp`, conf);
    await poll(() => w.hups() >= 1 || undefined, { timeoutMs: 10_000, intervalMs: 50, what: "the SIGHUP for nginx.conf" });
    await sleep(QUIET_MS);
    expect(w.hups()).toBe(1);
    w.child.kill("SIGTERM");
    expect(await w.exited).toBe(7);
  });

  it("should live through SIGHUPs while it still waits on its gates and start the command once they open", async () => {
    // `docker kill -s HUP` (bootgate's reload through the socket) can reach a waiter that has not
    // started its command yet: sh's default for HUP would end it, and its container with it.
    const { dir, secrets, openPkiReady } = await stack(false);
    await using _ = dir;
    const w = startSh(secrets, serviceDir(secrets, "svc-a"));
    await sleep(300);
    for (let i = 0; i < 3; i++) {
      w.child.kill("SIGHUP");
      await sleep(100);
    }
    expect(w.child.exitCode).toBeNull();
    expect(w.child.signalCode).toBeNull();
    await openPkiReady();
    await w.ready();
    // Those signals came before the command existed: none reaches it.
    await sleep(QUIET_MS);
    expect(w.hups()).toBe(0);
    w.child.kill("SIGTERM");
    expect(await w.exited).toBe(7);
  });

  it("should exit with the child's own code when it ends by itself", async () => {
    const { dir, secrets } = await stack();
    await using _ = dir;
    const child = spawn(dashPath(), [SCRIPT, "-t", "5", "-r", "HUP", "-w", serviceDir(secrets, "svc-a"), "pki-ready", "--", "sh", "-c", "exit 3"], {
      stdio: "ignore",
      env: { ...process.env, BOOTGATE_GATES_DIR: gatesDir(secrets) },
    });
    running.push(child);
    expect(await new Promise((r) => child.on("exit", (code) => r(code)))).toBe(3);
  });

  it("should refuse, exit 2, a KILL reload signal, -r without -w, and -r without a command", () => {
    const run = (args: string[]) => {
      try {
        execFileSync(dashPath(), [SCRIPT, ...args], { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
        return { code: 0, err: "" };
      } catch (e) {
        const error = e as { status: number; stderr: string };
        return { code: error.status, err: error.stderr };
      }
    };
    expect(run(["-r", "SIGKILL", "-w", "/x", "pki-ready", "--", "true"])).toEqual({ code: 2, err: expect.stringContaining("not KILL or STOP") });
    expect(run(["-r", "HUP", "pki-ready", "--", "true"])).toEqual({ code: 2, err: expect.stringContaining("-r needs -w PATH") });
    expect(run(["-r", "HUP", "-w", "/x", "pki-ready"])).toEqual({ code: 2, err: expect.stringContaining("needs a command") });
  });
});
