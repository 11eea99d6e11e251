// Crash safety of Vault's PKI handover (pki.issuer: vault, a root per boot): `kill -9` of
// `bootgate run` at seeded random moments of a first boot — most of them after its first request
// under the PKI mount (mount, import of this boot's intermediate, default issuer, CRL/OCSP/URLs,
// auto-tidy, roles, the leaves Vault issues), a few before it (pki-init's bootstrap leaves and
// sealed intermediate, OpenBao's start, the unseal) — with OpenBao left running, then one clean `bootgate run` in the same boot must
// converge (test/support/pki-convergence.ts). Real OpenBao; the seed is printed and
// BOOTGATE_TEST_SEED=<seed> replays the same moments.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cutStack, type CutStack } from "../../support/handover-cut.js";
import { convergenceProblems } from "../../support/pki-convergence.js";
import { powerStack } from "../../support/power-loss.js";
import { seededRandom, testSeed } from "../../support/seeded-random.js";

const SEED = testSeed();
const ROUNDS = 8;
/** Of those, the first few fall anywhere before the first PKI request (pki-init, OpenBao's start, the unseal, tokens). */
const IN_PKI_INIT = 2;
const SERVICES = ["postgres", "core-data", "core-metadata"];
console.log(`handover-cuts seed ${SEED} (BOOTGATE_TEST_SEED=${SEED} replays it)`);

async function withStack<T>(use: (cs: CutStack, dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "bootgate-handover-"));
  const cs = await cutStack(await powerStack(dir, SERVICES));
  try {
    return await use(cs, dir);
  } finally {
    await cs.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function expectConverged(cs: CutStack, dir: string, what: string): Promise<void> {
  const rerun = await cs.command(["run"]);
  expect(rerun.code, `${what}: the clean rerun failed; seed ${SEED}\n${rerun.output.slice(-3000)}`).toBe(0);
  const problems = await convergenceProblems({ config: cs.stack.config, ikmFile: cs.stack.ikmFile, scratch: dir });
  expect(problems, `${what}; seed ${SEED}\n${cs.reloads().join("\n")}`).toEqual([]);
}

describe("kill -9 of bootgate run while Vault's PKI engine takes over a first boot (pki.issuer: vault)", () => {
  it(`should converge on one clean rerun after a cut at each of ${ROUNDS} seeded moments`, { timeout: 240_000 }, async () => {
    const random = seededRandom(SEED);
    // An uncut first boot: what the moments are drawn over, and itself converged.
    const measured = await withStack(async (cs, dir) => {
      const run = await cs.command(["run"]);
      expect(run.code, run.output.slice(-3000)).toBe(0);
      expect(await convergenceProblems({ config: cs.stack.config, ikmFile: cs.stack.ikmFile, scratch: dir })).toEqual([]);
      return { run, requests: await cs.pkiRequests() };
    });
    const window = measured.run.pkiSpanMs!;
    const beforePki = measured.run.startToPkiMs!;
    expect(measured.requests.length).toBeGreaterThan(5);
    const moments: string[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const from = i < IN_PKI_INIT ? ("start" as const) : ("pki" as const);
      const at = Math.round(random() * (from === "start" ? beforePki : window));
      await withStack(async (cs, dir) => {
        const cut = await cs.cut(["run"], at, from);
        const where = cut.finished ? "finished first" : (cut.requests[0] ?? "before any PKI request");
        moments.push(`${from === "start" ? "+" : "pki+"}${at} ms: ${where}`);
        await expectConverged(cs, dir, `round ${i}, cut ${from === "start" ? "after start" : "after the first PKI request"} + ${at} ms (${where})`);
      });
    }
    console.log(
      `first boot: ${Math.round(beforePki)} ms to the first PKI request, then ${measured.requests.length} PKI requests in ${Math.round(window)} ms;\n` +
        `cuts (last PKI request seen):\n  ${moments.join("\n  ")}`,
    );
  });
});
