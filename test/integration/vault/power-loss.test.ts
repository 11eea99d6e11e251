// Power loss (SIGKILL of bootgate, OpenBao and, in later boots, PostgreSQL at once) at random
// moments of a boot, uniform over a boot's measured duration, then a boot that must complete by
// itself with the same Vault and the same databases.
// The seed is printed; BOOTGATE_POWER_SEED=<seed> replays the same moments.
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { credentialsKey } from "../../../src/db/credentials.js";
import { parseCredentials, serviceClientConfig } from "../../../src/db/service-connection.js";
import { sleep } from "../../../src/util/sleep.js";
import { freePort } from "../../../src/servers/free-port.js";
import { openKvClient } from "../../../src/vault/open-kv-client.js";
import { readTokenFile } from "../../../src/vault/token-file.js";
import { lookupSelf } from "../../../src/vault/tokens.js";
import { vaultClientFor } from "../../../src/vault/vault-client.js";
import { servicePath } from "../../../src/volume/layout.js";
import { baoLogTail, type Boot, powerStack, type PowerStack, seededRandom, startBoot } from "../../support/power-loss.js";

const SEED = Number(process.env.BOOTGATE_POWER_SEED ?? Math.floor(Math.random() * 2 ** 31));
// 12 moments per boot kind keeps CI's run short; each run draws new ones from a new seed, and
// BOOTGATE_POWER_ROUNDS=N asks for a longer soak.
const ROUNDS = Number(process.env.BOOTGATE_POWER_ROUNDS ?? 12);
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

/** What the cut boot said (its launcher's lines too). */
async function cutAt(stack: PowerStack, ms: number): Promise<string> {
  const boot = await startBoot(stack, await freePort());
  await Promise.race([boot.done, sleep(ms)]);
  await boot.kill();
  return boot.output();
}

const stalePidFilesCleared = (output: string) => output.split("\n").filter((l) => l.includes("removed a stale") && l.includes("postmaster.pid")).length;

async function credentialsOf(stack: PowerStack, service: string): Promise<Record<string, unknown> | undefined> {
  const kv = await openKvClient(stack.config, service);
  try {
    return await kv.read(credentialsKey(service));
  } finally {
    kv.close();
  }
}

/** `service` logged in to its own database with `credentials`, verify-full against this boot's CA. */
async function asService<T>(stack: PowerStack, service: string, credentials: Record<string, unknown>, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const parsed = parseCredentials(credentials);
  if (typeof parsed === "string") throw new Error(`${service}: ${parsed}`);
  const client = new pg.Client(serviceClientConfig(parsed, await readFile(servicePath(stack.config.secretsDir, service, "ca"))));
  client.on("error", () => {});
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => {});
  }
}

const rowsOf = async (client: pg.Client) => (await client.query<{ n: number; v: string }>("SELECT n, v FROM power_rows ORDER BY n")).rows;

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

  it(
    `should keep every secret and database row written before through a power loss at ${ROUNDS} random moments of later boots`,
    { timeout: 300_000 },
    async () => {
      const random = seededRandom(SEED + 1);
      const dir = await mkdtemp(join(tmpdir(), "bootgate-power-"));
      try {
        const stack = await powerStack(dir, SERVICES, { databases: true });
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
        // Each service's credentials as db-seed left them in Vault: every later login uses these.
        const credentials = new Map<string, Record<string, unknown>>();
        const rows = new Map<string, { n: number; v: string }[]>();
        for (const service of SERVICES) {
          credentials.set(service, (await credentialsOf(stack, service))!);
          await asService(stack, service, credentials.get(service)!, (c) => c.query("CREATE TABLE power_rows (n integer PRIMARY KEY, v text NOT NULL)"));
          rows.set(service, []);
        }
        // A row per service while the stack runs; the power then goes with PostgreSQL up.
        const writeRows = async (n: number) => {
          for (const service of SERVICES) {
            const row = { n, v: `${service}-row-${n}-${Math.random().toString(36).slice(2)}` };
            await asService(stack, service, credentials.get(service)!, (c) => c.query("INSERT INTO power_rows (n, v) VALUES ($1, $2)", [row.n, row.v]));
            rows.get(service)!.push(row);
          }
        };
        await writeRows(0);
        await first.kill();
        const measured = await timedBoot(stack);
        await measured.boot.stop();
        const moments: number[] = [];
        let staleCleared = 0;
        for (let i = 0; i < ROUNDS; i++) {
          const at = Math.round(random() * measured.ms);
          moments.push(at);
          staleCleared += stalePidFilesCleared(await cutAt(stack, at));
          const boot = await completes(stack, `reboot cut at ${at} ms (round ${i})`);
          staleCleared += stalePidFilesCleared(boot.output());
          const after = `after a cut at ${at} ms (round ${i}); seed ${SEED}`;
          for (const [service, key, record] of written) {
            const kv = await openKvClient(stack.config, service);
            expect(await kv.read(key), `${key} ${after}`).toEqual(record);
            kv.close();
          }
          for (const service of SERVICES) {
            expect(await credentialsOf(stack, service), `${service}'s credentials ${after}`).toEqual(credentials.get(service));
            expect(await asService(stack, service, credentials.get(service)!, rowsOf), `${service}'s rows ${after}`).toEqual(rows.get(service));
          }
          await writeRows(i + 1);
          await boot.kill();
        }
        // The last rows went through a power loss too: one more boot reads them.
        const last = await completes(stack, "the boot after the last round");
        for (const service of SERVICES) expect(await asService(stack, service, credentials.get(service)!, rowsOf), service).toEqual(rows.get(service));
        await last.stop();
        expect((await readdir(stack.baoDir)).filter((f) => f.startsWith("interrupted-"))).toEqual([]);
        // Each round's power loss hit a running PostgreSQL: its postmaster.pid was left for a next boot to clear.
        expect(staleCleared).toBeGreaterThanOrEqual(ROUNDS);
        console.log(
          `reboot ${Math.round(measured.ms)} ms; cut at (ms): ${moments.join(" ")}; ${ROUNDS + 1} rows per service read back; ${staleCleared} stale postmaster.pid cleared`,
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
