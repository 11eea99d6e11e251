// The compose stack's init container killed (SIGKILL, as a power cut to that container would) at a
// random moment of a boot — the first boot included — then `up -d` again: the boot must converge
// by itself, with Vault initialized once, every service healthy and served through the gateway,
// and nothing left behind by `down -v`. The moments are seeded (BOOTGATE_TEST_SEED replays them)
// and printed with what init had done when it died, so a failure can be run again as it was.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/servers/free-port.js";
import {
  composeCommand,
  composeProject,
  type ComposeProject,
  docker,
  downLeftovers,
  runScript,
  upSettled,
  volumeMountpoint,
} from "../support/compose-stack.js";
import { gatewayGet } from "../support/local-stack.js";
import { seededRandom, testSeed } from "../support/seeded-random.js";

const LONG_RUNNING = ["vault", "postgres", "gateway", "core-data", "core-metadata", "agent"];
/** A fresh stack twice (the first boot: Vault initializing itself, roles being created), then reboots. */
const ROUNDS: ("first boot" | "reboot")[] = ["first boot", "first boot", "reboot", "reboot"];
/**
 * When init is killed, in ms from the start of `up -d`: init starts ~0.5 s in and is done after
 * ~4.5 s on a first boot, ~2 s on a reboot (bench/compose.mjs); a moment after it is a no-op.
 */
const KILL_WINDOW_MS = { "first boot": [300, 4_800], reboot: [300, 2_200] } as const;

let project: ComposeProject;
const seed = testSeed();
const random = seededRandom(seed);

beforeAll(async () => {
  await runScript("scripts/docker-engine.sh", 300_000);
  await runScript("compose/image/build.sh", 900_000);
  project = composeProject(await composeCommand(), `bgkill${process.pid}${randomBytes(3).toString("hex")}`, await freePort());
  console.log(`compose-init-kill seed ${seed} (BOOTGATE_TEST_SEED=${seed} replays it)`);
}, 1_200_000);

afterAll(async () => {
  await project?.run(["down", "-v", "--remove-orphans", "-t", "10"], 300_000).catch(() => undefined);
}, 300_000);

const secretFile = async (rel: string) => readFileSync(join(await volumeMountpoint(project, "secrets"), rel), "utf8");
const lastLines = (log: string, n: number) => log.trim().split("\n").slice(-n).join(" | ");

/** `up -d`, and SIGKILL of init `atMs` after it began: what init had logged, or that it was done already. */
async function upAndKillInit(atMs: number): Promise<string> {
  const start = performance.now();
  const up = project.run(["up", "-d"], 600_000);
  await new Promise((r) => setTimeout(r, atMs));
  // Compose may not have made init's container yet at the chosen moment: kill it as soon as it exists.
  let id = "";
  // (the engine asked directly: compose's own `ps` takes a second or more, longer than the window).
  const initContainer = () =>
    docker(["ps", "-aq", "--filter", `label=com.docker.compose.project=${project.name}`, "--filter", "label=com.docker.compose.service=init"]);
  while (!(id = await initContainer()) && performance.now() - start < 60_000) await new Promise((r) => setTimeout(r, 20));
  const killedAt = Math.round(performance.now() - start);
  const killed = await docker(["kill", "-s", "KILL", id]).then(
    () => true,
    () => false,
  );
  await up;
  const log = await project.run(["logs", "--no-color", "init"], 60_000);
  return `${killed ? "killed" : "init had already exited"} at +${killedAt} ms (asked for +${atMs}); init's log: ${lastLines(log, 2) || "(empty)"}`;
}

describe("the compose init container killed at a random moment of a boot", () => {
  for (const [i, kind] of ROUNDS.entries()) {
    it(`should converge on the next up -d (round ${i + 1}: ${kind})`, async () => {
      if (kind === "first boot") await project.run(["down", "-v", "-t", "5"], 300_000);
      else await project.run(["down", "-t", "10"], 300_000);
      const [from, to] = KILL_WINDOW_MS[kind];
      const cut = await upAndKillInit(Math.floor(from + random() * (to - from)));
      console.log(`compose-init-kill round ${i + 1} (${kind}): ${cut}`);

      // The next run converges by itself: init exits 0 and every long-running container is healthy.
      await upSettled(project, LONG_RUNNING);
      const initLog = await project.run(["logs", "--no-color", "init"], 60_000);
      expect(initLog, cut).toMatch(/bootgate: all stages done/);

      // Vault is one initialized, unsealed server, and the services are served with their database roles.
      const status = await project.exec("vault", ["bao", "status", "-format=json", "-address=https://vault:8200", "-ca-cert=/secrets/ca/ca.pem"]);
      expect(JSON.parse(status.stdout), cut).toMatchObject({ initialized: true, sealed: false });
      const ca = await secretFile("ca/ca.pem");
      const jwt = (
        await project.run(
          ["run", "--rm", "--no-deps", "-T", "init", "node", "/app/bin/bootgate.js", "token", "kill-test", "--config", "/etc/bootgate/bootgate.yaml"],
          120_000,
        )
      ).trim();
      for (const service of ["core-data", "core-metadata"]) {
        const res = await gatewayGet(ca, project.gatewayPort, `/${service}/hello`, jwt);
        expect(res.status, `${cut}\n${res.body}`).toBe(200);
        expect(JSON.parse(res.body), cut).toMatchObject({ service, db: { role: service.replace("-", "_"), ssl: true } });
      }
    }, 600_000);
  }

  it("should leave no container, volume or network behind after down -v", async () => {
    expect(await downLeftovers(project)).toEqual({ containers: "", volumes: "", networks: "" });
  }, 300_000);
});
