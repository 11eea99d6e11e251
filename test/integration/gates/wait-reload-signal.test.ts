// `bootgate wait --reload-signal SIGHUP --service NAME -- cmd`: a real waiter, a real child that
// counts its SIGHUPs, renewals written by the real bundle writer (atomic renames).
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { beginBoot, openGate } from "../../../src/gates/gate-file.js";
import { writeServices } from "../../../src/pki/bundle-writer.js";
import { writeTokenFile } from "../../../src/vault/token-file.js";
import { poll } from "../../../src/util/poll.js";
import { sleep } from "../../../src/util/sleep.js";
import { tempDir } from "../../support/tmp-dir.js";
import { startWaiter, type Waiter } from "../../support/waiters.js";

const started: Waiter[] = [];
afterEach(() => {
  for (const w of started.splice(0)) w.child.kill("SIGKILL");
});

// Prints one line per SIGHUP; stays up until SIGTERM.
const COUNTER = `let n = 0;
process.on("SIGHUP", () => console.log("hup " + ++n));
process.on("SIGTERM", () => process.exit(0));
console.log("ready");
setInterval(() => {}, 60_000);
`;

const renew = (secretsDir: string, name: string, round: number) =>
  writeServices(secretsDir, [{ service: { name } as never, certPem: `cert ${round}\n`, keyPem: `key ${round}\n`, caPem: `ca ${round}\n` }]);
const hups = (w: Waiter) => (w.stdout().match(/^hup \d+$/gm) ?? []).length;
/** Long enough for a second signal of the same change set (the debounce is 250 ms) to show. */
const QUIET_MS = 1500;

describe("bootgate wait --reload-signal (real processes)", () => {
  it("should send exactly one SIGHUP per renewal of its own folder and none for another service's", async () => {
    await using dir = await tempDir();
    const secrets = join(dir.path, "secrets");
    const boot = await beginBoot(secrets);
    await renew(secrets, "svc-a", 0);
    await renew(secrets, "svc-b", 0);
    await openGate(secrets, "pki-ready", boot.bootId);
    const script = join(dir.path, "counter.mjs");
    await writeFile(script, COUNTER);

    const w = startWaiter(["pki-ready", "--secrets-dir", secrets, "--reload-signal", "SIGHUP", "--service", "svc-a", "--", process.execPath, script]);
    started.push(w);
    await poll(() => (w.stdout().includes("ready") && w.stderr().includes("for reloads") ? true : undefined), {
      timeoutMs: 20_000,
      intervalMs: 50,
      what: "the child and the watch",
    });

    for (let round = 1; round <= 3; round++) {
      await renew(secrets, "svc-a", round);
      await poll(() => (hups(w) >= round ? true : undefined), { timeoutMs: 10_000, intervalMs: 50, what: `SIGHUP number ${round}` });
      await sleep(QUIET_MS);
      expect(hups(w)).toBe(round);
    }

    // Another service's renewal: nothing.
    await renew(secrets, "svc-b", 1);
    await sleep(QUIET_MS);
    expect(hups(w)).toBe(3);

    // A new token is a change set of its own.
    const token = {
      token: "t",
      accessor: "a",
      address: "https://vault:8200",
      serverName: "vault",
      kvMount: "secret",
      kvPrefix: "svc-a",
      policies: [],
      bootId: boot.bootId,
      issuedAt: "now",
    };
    await writeTokenFile(secrets, "svc-a", token, { mode: 0o600 });
    await poll(() => (hups(w) >= 4 ? true : undefined), { timeoutMs: 10_000, intervalMs: 50, what: "the token's SIGHUP" });
    await sleep(QUIET_MS);
    expect(hups(w)).toBe(4);

    w.child.kill("SIGTERM");
    expect((await w.exited).code).toBe(0);
  }, 60_000);

  it("should refuse an unknown signal name with exit 2 naming the flag", async () => {
    const w = startWaiter(["pki-ready", "--reload-signal", "SIGNOPE", "--service", "svc-a", "--", "true"]);
    started.push(w);
    const { code } = await w.exited;
    expect(code).toBe(2);
    expect(w.stderr()).toContain("--reload-signal");
    expect(w.stderr()).toContain("SIGNOPE");
  });
});
