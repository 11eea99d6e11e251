// kill -9 of `bootgate agent` at seeded random moments while its short leaves keep falling due
// (real OpenBao, Vault's PKI engine issuing): after each kill every file on the volume is whole
// and every leaf still valid and from this boot's intermediate; after a restart the next pass
// completes — every leaf paired with its key and renewed again — and nothing an interrupted
// write left (a temporary holding a key or a token) stays on the volume.
import { spawn } from "node:child_process";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { describe, expect, it, onTestFinished } from "vitest";
import { keptLeaves } from "../../../src/agent/leaf-keeper.js";
import { reloadOnRenewal, sighup } from "../../../src/local/reload-on-renewal.js";
import { splitCertificates } from "../../../src/pki/pem.js";
import { freePort } from "../../../src/servers/free-port.js";
import { poll } from "../../../src/util/poll.js";
import { sleep } from "../../../src/util/sleep.js";
import { caBundlePath, serviceDir, servicePath } from "../../../src/volume/layout.js";
import { seededRandom, testSeed } from "../../support/seeded-random.js";
import { startVaultStack } from "../../support/vault-stack.js";
import { BOOTGATE_BIN } from "../../support/waiters.js";

const ROUNDS = Number(process.env.BOOTGATE_AGENT_KILL_ROUNDS ?? 6);
// Leaves due 6 s after their issue (and at once when older): a renewal every second or two among five.
const VALIDITY_S = 30;
const RENEW_BEFORE_S = 24;
const seed = testSeed();
console.log(`agent leaf-kill: seed ${seed} (BOOTGATE_TEST_SEED=${seed} replays these moments)`);

interface Leaf {
  serial: string;
  notAfter: number;
  paired: boolean;
  issuedByIntermediate: boolean;
}

async function readLeaf(secretsDir: string, service: string, intermediate: X509Certificate): Promise<Leaf> {
  // Whole files: each must parse, whatever the moment of the kill.
  const pem = await readFile(servicePath(secretsDir, service, "cert"), "utf8");
  const cert = new X509Certificate(pem);
  const key = createPrivateKey(await readFile(servicePath(secretsDir, service, "key")));
  return {
    serial: cert.serialNumber,
    notAfter: new Date(cert.validTo).getTime(),
    paired: cert.checkPrivateKey(key),
    issuedByIntermediate: cert.checkIssued(intermediate) && cert.verify(intermediate.publicKey),
  };
}

describe("bootgate agent killed at random moments of its renewals (real OpenBao)", () => {
  it(`should leave whole, valid files after a kill -9 at ${ROUNDS} moments, and complete the next pass after a restart`, async () => {
    await using stack = await startVaultStack({
      config: {
        services: [{ name: "core-data" }, { name: "core-metadata" }],
        pki: { validity: `${VALIDITY_S}s`, renewBefore: `${RENEW_BEFORE_S}s` },
        agent: { listen: `127.0.0.1:${await freePort()}` },
      },
    });
    const { config } = stack;
    const dir = config.secretsDir;
    const bundle = await readFile(caBundlePath(dir));
    const intermediate = new X509Certificate(splitCertificates(bundle.toString())[1]!);
    const names = keptLeaves(config).map((s) => s.name);
    expect(names.sort()).toEqual(["bootgate", "core-data", "core-metadata", "vault"]);
    const random = seededRandom(seed);
    // As under `up --local` and `bootgate wait --reload-signal`: OpenBao takes its renewed leaf on
    // SIGHUP. Without it, it serves its first 30 s leaf until that expires and the agent, which
    // verifies it, can reach Vault no more.
    const openbao = reloadOnRenewal({ name: "openbao", dir: serviceDir(dir, "vault"), reload: sighup(stack.bao!.pid) }, () => {});
    await openbao.ready;
    onTestFinished(() => openbao.stop());

    const spawnAgent = () => {
      const child = spawn(process.execPath, [BOOTGATE_BIN, "agent", "--config", config.source], { stdio: ["ignore", "ignore", "pipe"] });
      let err = "";
      child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
      const exited = new Promise<{ code: number | null }>((r) => child.on("exit", (code) => r({ code })));
      return { child, exited, stderr: () => err };
    };
    const renewedIn = (text: string) => text.split("\n").filter((l) => /certificate of \S+: renewed/.test(l)).length;

    let renewalsCut = 0;
    let tempsLeft = 0;
    const moments: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const agent = spawnAgent();
      await poll(() => (agent.stderr().includes("keeping") ? true : undefined), { timeoutMs: 20_000, intervalMs: 20, what: "the agent to start" });
      const moment = Math.round(random() * 8_000);
      moments.push(moment);
      await sleep(moment);
      agent.child.kill("SIGKILL");
      await agent.exited;
      renewalsCut += renewedIn(agent.stderr());
      const now = Date.now();
      for (const service of names) {
        const leaf = await readLeaf(dir, service, intermediate);
        expect(leaf.issuedByIntermediate, `${service} after the kill at ${moment} ms (round ${round})`).toBe(true);
        expect(leaf.notAfter, `${service} still valid after round ${round}`).toBeGreaterThan(now);
      }
      for (const service of names) tempsLeft += (await readdir(serviceDir(dir, service))).filter((n) => n.endsWith(".tmp")).length;
      // The CA is never touched by a renewal, killed or not.
      expect((await readFile(caBundlePath(dir))).equals(bundle)).toBe(true);
    }
    console.log(
      `agent leaf-kill: killed at ${moments.join(", ")} ms; ${renewalsCut} renewals logged before the kills; ${tempsLeft} temporaries seen after them`,
    );
    // The moments must have fallen among renewals, or the test shows nothing.
    expect(renewalsCut).toBeGreaterThan(0);

    const before = new Map(await Promise.all(names.map(async (s) => [s, (await readLeaf(dir, s, intermediate)).serial] as const)));
    const agent = spawnAgent();
    try {
      await poll(
        async () => {
          for (const service of names) {
            const leaf = await readLeaf(dir, service, intermediate);
            if (leaf.serial === before.get(service) || !leaf.paired) return undefined;
          }
          return true;
        },
        { timeoutMs: 60_000, intervalMs: 200, what: "every leaf renewed and paired with its key after the restart" },
      ).catch(async (error: unknown) => {
        const now = await Promise.all(names.map(async (s) => `${s} ${JSON.stringify(await readLeaf(dir, s, intermediate))} was ${before.get(s)}`));
        throw new Error(`${(error as Error).message}\n${now.join("\n")}\nthe agent said:\n${agent.stderr()}`, { cause: error });
      });
      // The restarted agent sweeps what a killed write left (after TEMP_MIN_AGE_MS and a margin).
      await poll(
        async () => {
          for (const service of [...names]) {
            const temps = (await readdir(serviceDir(dir, service))).filter((n) => n.endsWith(".tmp"));
            if (temps.length > 0) return undefined;
          }
          return true;
        },
        { timeoutMs: 30_000, intervalMs: 500, what: "no temporary file left in any folder" },
      );
      for (const service of names) {
        const leaf = await readLeaf(dir, service, intermediate);
        expect(leaf.paired && leaf.issuedByIntermediate, service).toBe(true);
      }
    } finally {
      agent.child.kill("SIGTERM");
      expect((await agent.exited).code).toBe(0);
    }
    expect(agent.stderr()).toContain("stopped");
  }, 240_000);
});
