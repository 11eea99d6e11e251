// Power loss (SIGKILL of bootgate and OpenBao at once) at random moments of a boot, uniform over
// a boot's measured duration, then a boot that must complete by itself with the same Vault.
// The seed is printed; BOOTGATE_POWER_SEED=<seed> replays the same moments.
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { sleep } from "../../../src/util/sleep.js";
import { freePort } from "../../../src/servers/free-port.js";
import { openKvClient } from "../../../src/vault/open-kv-client.js";
import { readTokenFile } from "../../../src/vault/token-file.js";
import { lookupSelf } from "../../../src/vault/tokens.js";
import { vaultClientFor } from "../../../src/vault/vault-client.js";
import { baoLogTail, type Boot, powerStack, type PowerStack, seededRandom, startBoot } from "../../support/power-loss.js";

const SEED = Number(process.env.BOOTGATE_POWER_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ROUNDS = 20;
const SERVICES = ["core-data", "core-metadata"];
const BOOT_TIMEOUT_MS = 60_000;
console.log(`power-loss seed ${SEED} (BOOTGATE_POWER_SEED=${SEED} replays it)`);

async function completes(stack: PowerStack, what: string): Promise<Boot> {
  const boot = await startBoot(stack, await freePort());
  const code = await Promise.race([boot.done, sleep(BOOT_TIMEOUT_MS).then(() => "timeout" as const)]);
  if (code !== 0) {
    await boot.kill();
    throw new Error(`${what}: the boot did not complete (${code}); seed ${SEED}\n${boot.output().slice(-3000)}\nOpenBao's log:\n${await baoLogTail(stack)}`);
  }
  return boot;
}

async function timedBoot(stack: PowerStack): Promise<{ boot: Boot; ms: number }> {
  const t0 = performance.now();
  const boot = await completes(stack, "measuring");
  return { boot, ms: performance.now() - t0 };
}

async function cutAt(stack: PowerStack, ms: number): Promise<void> {
  const boot = await startBoot(stack, await freePort());
  await Promise.race([boot.done, sleep(ms)]);
  await boot.kill();
}

async function bootgateLoginWorks(stack: PowerStack): Promise<boolean> {
  const file = await readTokenFile(stack.config.secretsDir, "bootgate");
  if (!file) return false;
  const client = await vaultClientFor(stack.config, file.token);
  try {
    return (await lookupSelf(client)) !== undefined;
  } finally {
    client.close();
  }
}

describe("power loss during a boot", () => {
  it(
    `should complete the boot after a power loss at ${ROUNDS} random moments of the very first one, each from an empty state folder`,
    { timeout: 300_000 },
    async () => {
      const random = seededRandom(SEED);
      const measureDir = await mkdtemp(join(tmpdir(), "bootgate-power-"));
      let firstBootMs: number;
      try {
        const measured = await timedBoot(await powerStack(measureDir, SERVICES));
        firstBootMs = measured.ms;
        await measured.boot.stop();
      } finally {
        await rm(measureDir, { recursive: true, force: true });
      }
      const moments: string[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const at = Math.round(random() * firstBootMs);
        const dir = await mkdtemp(join(tmpdir(), "bootgate-power-"));
        try {
          const stack = await powerStack(dir, SERVICES);
          await cutAt(stack, at);
          const boot = await completes(stack, `first boot cut at ${at} ms (round ${i})`);
          expect(await bootgateLoginWorks(stack)).toBe(true);
          await boot.stop();
          const setAside = (await readdir(stack.baoDir)).filter((f) => f.startsWith("interrupted-")).length;
          moments.push(`${at}${setAside ? "*" : ""}`);
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      }
      console.log(`first boot ${Math.round(firstBootMs)} ms; cut at (ms; * = storage set aside): ${moments.join(" ")}`);
    },
  );

  it(`should keep every secret written before through a power loss at ${ROUNDS} random moments of later boots`, { timeout: 300_000 }, async () => {
    const random = seededRandom(SEED + 1);
    const dir = await mkdtemp(join(tmpdir(), "bootgate-power-"));
    try {
      const stack = await powerStack(dir, SERVICES);
      const first = await completes(stack, "first boot");
      const written: [string, string, Record<string, string>][] = [];
      for (const service of SERVICES) {
        const kv = await openKvClient(stack.config, service);
        for (let k = 0; k < 5; k++) {
          const record = { value: `${service}-${k}-${Math.random().toString(36).slice(2)}` };
          await kv.write(`${service}/secret-${k}`, record);
          written.push([service, `${service}/secret-${k}`, record]);
        }
        kv.close();
      }
      await first.stop();
      const measured = await timedBoot(stack);
      await measured.boot.stop();
      const moments: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const at = Math.round(random() * measured.ms);
        moments.push(at);
        await cutAt(stack, at);
        const boot = await completes(stack, `reboot cut at ${at} ms (round ${i})`);
        for (const [service, key, record] of written) {
          const kv = await openKvClient(stack.config, service);
          expect(await kv.read(key), `${key} after a cut at ${at} ms; seed ${SEED}`).toEqual(record);
          kv.close();
        }
        await boot.stop();
      }
      expect((await readdir(stack.baoDir)).filter((f) => f.startsWith("interrupted-"))).toEqual([]);
      console.log(`reboot ${Math.round(measured.ms)} ms; cut at (ms): ${moments.join(" ")}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
