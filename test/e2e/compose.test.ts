// The stack in docker compose, with real containers (issue #8): the engine from
// scripts/docker-engine.sh, the images from compose/image/build.sh, compose/docker-compose.yml
// up, the checks below through dockerode and clients on the host and inside the containers, a
// reboot (down without -v: the tmpfs volume comes back empty, the persistent volumes stay), the
// same checks again, a broken config that opens no gate, and a final `down -v` that leaves nothing.
import { X509Certificate, randomBytes } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { freePort } from "../../src/servers/free-port.js";
import { gatesDir } from "../../src/volume/layout.js";
import { LOGIN_WITH_CREDENTIALS, LOOKUP_TOKEN, READ_DB_CREDENTIALS } from "../support/compose-probes.js";
import {
  composeCommand,
  composeMode,
  type ComposeMode,
  composeProject,
  type ComposeProject,
  containerStates,
  docker,
  downLeftovers,
  REPO,
  runScript,
  upSettled,
  volumeMountpoint,
  waitFor,
} from "../support/compose-stack.js";
import { gatewayGet } from "../support/local-stack.js";

/** Each service of compose/bootgate.yaml with the uid:gid its container runs as. */
const SERVICES: Record<string, string> = {
  vault: "1001:1001",
  postgres: "100:102",
  gateway: "1003:1003",
  "core-data": "1101:1101",
  "core-metadata": "1102:1102",
};
const LONG_RUNNING = Object.keys(SERVICES);
/** Every container that runs for the life of the stack and has a health check: the services and the agent. */
const HEALTHY = [...LONG_RUNNING, "agent"];
const GATES = ["pki-ready", "vault-ready", "gateway-cert-ready", "gateway-ready", "db-ready"];

let command: string[];
let project: ComposeProject;
/** subpath: each service mounts its own folder (compose/subpath.yml); whole-volume on older engines. */
let mode: ComposeMode;

beforeAll(async () => {
  await runScript("scripts/docker-engine.sh", 300_000);
  await runScript("compose/image/build.sh", 900_000);
  command = await composeCommand();
  mode = await composeMode();
  project = composeProject(command, `bgtest${process.pid}${randomBytes(3).toString("hex")}`, await freePort());
}, 1_200_000);

afterAll(async () => {
  await project?.run(["down", "-v", "--remove-orphans", "-t", "10"], 300_000).catch(() => undefined);
}, 300_000);

const volumePath = (p: ComposeProject, volume: string) => volumeMountpoint(p, volume);
/** The secrets volume read from the host (root), as an operator would inspect it. */
const secretFile = async (p: ComposeProject, rel: string) => readFileSync(join(await volumePath(p, "secrets"), rel), "utf8");
/**
 * The gateway's key, inside its container: in the generation nginx.conf names. With no nginx it
 * can watch (the agent's, in its own container) the adapter keeps the generation before too, for an
 * nginx that may be starting on it, so there can be two.
 */
const GATEWAY_KEY = "$(grep -o '/secrets/gateway/nginx/gen-[0-9a-f]*' /secrets/gateway/nginx/nginx.conf | head -n 1)/key.pem";
/** A service's certificate in its own folder; the gateway's is in the nginx generation its config names. */
async function certOf(service: string): Promise<X509Certificate> {
  if (service !== "gateway") return new X509Certificate(await secretFile(project, `${service}/cert.pem`));
  // The generation nginx.conf names: the agent's first pass after a boot applies the gateway once
  // more, so for a moment a new generation may sit beside it before the older one is removed.
  const generation = /gen-[0-9a-f]+/.exec(await secretFile(project, "gateway/nginx/nginx.conf"))?.[0];
  expect(generation, "nginx.conf names a generation").toBeDefined();
  expect(readdirSync(join(await volumePath(project, "secrets"), "gateway/nginx"))).toContain(generation);
  return new X509Certificate(await secretFile(project, `gateway/nginx/${generation!}/fullchain.pem`));
}
const leafSerials = async () => Object.fromEntries(await Promise.all(LONG_RUNNING.map(async (s) => [s, (await certOf(s)).serialNumber] as const)));
const logsOf = (p: ComposeProject, service: string) => p.run(["logs", "--no-color", service], 60_000);

async function execOk(service: string, argv: string[], options: { input?: string; user?: string } = {}): Promise<string> {
  const r = await project.exec(service, argv, options);
  if (r.exitCode !== 0) throw new Error(`exec in ${service} failed (${r.exitCode}): ${r.stderr.slice(-1500)}`);
  return r.stdout;
}
const probe = (service: string, script: string, input = "") => execOk(service, ["node", "--input-type=module", "-e", script], { input });
/** A JWT from the gateway's key in Vault: `bootgate token` with bootgate's own token, in a one-off init container (only init sees bootgate/). */
const token = async (user: string) =>
  (
    await project.run(
      ["run", "--rm", "--no-deps", "-T", "init", "node", "/app/bin/bootgate.js", "token", user, "--config", "/etc/bootgate/bootgate.yaml"],
      120_000,
    )
  ).trim();

/** up -d; init exits 0; every long-running container is running and healthy; the gateway answers. */
async function bootAndWaitForStack(): Promise<string> {
  const states = await upSettled(project, HEALTHY);
  expect(states.map((s) => s.service).sort()).toEqual([...HEALTHY, "holder", "init"].sort());
  expect(states.find((s) => s.service === "holder")?.status).toBe("running");
  const ca = await secretFile(project, "ca/ca.pem");
  await waitFor(`the gateway on 127.0.0.1:${project.gatewayPort}`, 60_000, async () =>
    (await gatewayGet(ca, project.gatewayPort, "/core-data/")).status === 401 ? true : undefined,
  );
  return ca;
}

async function expectRoutesServed(ca: string, user: string) {
  const jwt = await token(user);
  for (const service of ["core-data", "core-metadata"]) {
    const res = await gatewayGet(ca, project.gatewayPort, `/${service}/hello`, jwt);
    expect(res.status, res.body).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ service, path: "/hello", caller: "gateway", db: { role: service.replace("-", "_"), ssl: true } });
    expect((await gatewayGet(ca, project.gatewayPort, `/${service}/hello`)).status).toBe(401);
  }
}

/** The serial a client sees from service:port, through openssl inside a container of the stack. */
async function servedSerial(host: string, port: number, starttls?: string): Promise<string> {
  const cmd = `echo | openssl s_client ${starttls ? `-starttls ${starttls} ` : ""}-connect ${host}:${port} -servername ${host} -CAfile /secrets/ca/ca.pem -verify_return_error 2>/dev/null | openssl x509 -noout -serial`;
  const out = await execOk("core-metadata", ["sh", "-c", cmd]);
  return out.trim().replace(/^serial=/, "");
}

describe("the stack in docker compose", () => {
  let firstSerials: Record<string, string>;
  let firstCa: string;
  let oldToken: string;
  let oldCredentials: string;

  it("should bring every container up (init exits 0, the others running and healthy) and serve each example service through the gateway", async () => {
    const ca = await bootAndWaitForStack();
    expect(await logsOf(project, "init")).toMatch(/secretstore-setup .*enabled secret\//);
    for (const gate of GATES) expect(JSON.parse(await secretFile(project, `.gates/${gate}`))).toMatchObject({ gate });
    await expectRoutesServed(ca, "alice");
    firstCa = ca;
  });

  it("should show each container's state and health in `bootgate status` on the host, read through the Docker socket", async () => {
    const result = await execa(process.execPath, [resolve(REPO, "bin/bootgate.js"), "status", "--json", "--config", resolve(REPO, "compose/bootgate.yaml")], {
      env: { ...process.env, BOOTGATE_SECRETS_DIR: await volumePath(project, "secrets"), BOOTGATE_COMPOSE_PROJECT: project.name },
      reject: false,
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const status = JSON.parse(result.stdout) as {
      containers: { available: boolean; secretsVolume: string; containers: { service: string; state: string; health: string; secrets: string }[] };
    };
    expect(status.containers.available).toBe(true);
    const rows = Object.fromEntries(status.containers.containers.map((c) => [c.service, `${c.state} ${c.health} ${c.secrets}`]));
    const own = mode === "subpath" ? "own folder" : "whole volume";
    expect(rows).toEqual({
      ...Object.fromEntries(LONG_RUNNING.map((s) => [s, `running healthy ${own}`])),
      init: "exited (0) none whole volume",
      agent: "running healthy whole volume",
      holder: `running ${mode === "subpath" ? "healthy" : "none"} whole volume`,
    });
    expect(status.containers.secretsVolume).toBe(mode === "subpath" ? "per-service folders" : "whole volume shared");
  });

  it("should have each service serve the certificate from its own folder, with its key 0600 and owned by its user inside its container", async () => {
    const files = await leafSerials();
    // Service names only: a client that connects by IP must name the service to be verified.
    expect((await certOf("vault")).subjectAltName).toBe("DNS:vault");
    expect(await servedSerial("vault", 8200)).toBe(files.vault!.toUpperCase());
    expect(await servedSerial("postgres", 5432, "postgres")).toBe(files.postgres!.toUpperCase());
    expect(await servedSerial("core-data", 59880)).toBe(files["core-data"]!.toUpperCase());
    expect(await servedSerial("gateway", 8443)).toBe(files.gateway!.toUpperCase());
    for (const [service, owner] of Object.entries(SERVICES)) {
      // The gateway's key never reaches the volume as key.pem: nginx reads its copy in its config folder.
      const key = service === "gateway" ? GATEWAY_KEY : `/secrets/${service}/key.pem`;
      const out = await execOk(service, ["sh", "-c", `echo "$(id -u):$(id -g) $(stat -c '%a %u:%g' ${key})"`]);
      expect(out.trim(), service).toBe(`${owner} 600 ${owner}`);
    }
    // Each one's own: another service's key is closed to it, and the volume is read-only to all but init.
    const peek = await project.exec("core-data", ["cat", "/secrets/core-metadata/key.pem"]);
    expect(peek.exitCode).not.toBe(0);
    expect(peek.stderr).toMatch(mode === "subpath" ? /No such file or directory/ : /Permission denied/);
    // With compose/subpath.yml the other services' folders and bootgate/ do not exist in its container.
    if (mode === "subpath") expect((await execOk("core-data", ["ls", "-A", "/secrets"])).trim().split("\n").sort()).toEqual([".gates", "ca", "core-data"]);
    expect((await project.exec("core-data", ["touch", "/secrets/core-data/x"])).stderr).toMatch(/Read-only file system/);
    expect((await project.exec("vault", ["touch", "/etc/x"])).stderr).toMatch(/Read-only file system/);
  });

  it("should refuse generate-root and keep an audit log on its own volume, 0600 and Vault's, with no token of the boot in clear", async () => {
    const bao = ["bao", "operator", "generate-root", "-status", "-address=https://vault:8200", "-ca-cert=/secrets/ca/ca.pem"];
    const attempt = await project.exec("vault", bao);
    expect(attempt.exitCode).not.toBe(0);
    // Off by default since OpenBao 2.5.3: unauthenticated it is refused (403), as it would be without the endpoint (405).
    expect(attempt.stderr).toMatch(/Code: 40[35]/);
    const log = "/var/log/openbao/audit.log";
    expect((await execOk("vault", ["stat", "-c", "%a %u", log])).trim()).toBe("600 1001");
    const lines = (await execOk("vault", ["cat", log])).trim().split("\n");
    expect(lines.length).toBeGreaterThan(0);
    const coreDataToken = JSON.parse(await secretFile(project, "core-data/token.json")) as { token: string; accessor: string };
    const text = lines.join("\n");
    expect(text).not.toContain(coreDataToken.token);
    expect(text).not.toContain(coreDataToken.accessor);
  });

  it("should reboot after down and up: every leaf new, Vault unsealed by init alone, the old database credentials still good, the old tokens dead", async () => {
    firstSerials = await leafSerials();
    oldToken = (JSON.parse(await secretFile(project, "core-data/token.json")) as { token: string }).token;
    oldCredentials = await probe("core-data", READ_DB_CREDENTIALS);
    expect(await probe("core-data", LOOKUP_TOKEN, oldToken)).toBe("200");

    await project.run(["down", "-t", "20"], 300_000);
    expect(await containerStates(project.name)).toEqual([]);
    // The secrets volume outlives `down` but its tmpfs is gone: nothing of the last boot is left.
    const secretsMount = await volumePath(project, "secrets");
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(` ${secretsMount} `);
    expect(readdirSync(secretsMount)).toEqual([]);
    // The static seal keeps no keyring: its key is derived from the IKM at each boot.
    expect(readdirSync(await volumePath(project, "keyring")).sort()).toEqual(["ikm.hex"]);

    const ca = await bootAndWaitForStack();
    expect(ca).not.toBe(firstCa);
    const serials = await leafSerials();
    for (const service of LONG_RUNNING) expect(serials[service], service).not.toBe(firstSerials[service]);

    const logs = await logsOf(project, "init");
    const vaultLine = logs.split("\n").find((l) => l.includes("✓ secretstore-setup")) ?? "";
    expect(vaultLine).toContain("unsealed");
    expect(vaultLine).not.toContain("initialized");
    const seal = JSON.parse(await execOk("vault", ["bao", "status", "-format=json", "-address=https://vault:8200", "-ca-cert=/secrets/ca/ca.pem"])) as {
      initialized: boolean;
      sealed: boolean;
    };
    expect(seal).toMatchObject({ initialized: true, sealed: false });

    // Vault already held both passwords and PostgreSQL their verifiers: nothing created or reset.
    expect(logs).toMatch(/db-seed .*0 created, 0 password set/);
    expect(await probe("core-data", LOGIN_WITH_CREDENTIALS, oldCredentials)).toBe("core_data");
    expect(await probe("core-data", LOOKUP_TOKEN, oldToken)).toBe("403");
    const newToken = (JSON.parse(await secretFile(project, "core-data/token.json")) as { token: string }).token;
    expect(await probe("core-data", LOOKUP_TOKEN, newToken)).toBe("200");
    await expectRoutesServed(ca, "bob");
  });

  it("should bring each service container back with its files when they are restarted one after another (the holder keeps the volume)", async () => {
    for (const service of LONG_RUNNING) {
      await project.run(["restart", "-t", "20", service], 300_000);
      await waitFor(`${service} running and healthy after its restart`, 180_000, async () =>
        (await containerStates(project.name)).some((c) => c.service === service && c.status === "running" && c.health === "healthy") ? true : undefined,
      );
      const key = service === "gateway" ? GATEWAY_KEY : `/secrets/${service}/key.pem`;
      expect((await project.exec(service, ["sh", "-c", `test -s ${key} && test -s /secrets/ca/ca.pem`])).exitCode, service).toBe(0);
    }
    await expectRoutesServed(await secretFile(project, "ca/ca.pem"), "dave");
  });

  it("should keep the example services running through a PostgreSQL restart: they reconnect, nothing else restarts", async () => {
    const examples = ["core-data", "core-metadata"];
    const started = async () =>
      Promise.all(
        examples.map(async (s) => docker(["inspect", "-f", "{{.State.Status}} {{.State.StartedAt}} {{.RestartCount}}", await project.containerId(s)])),
      );
    const before = await started();
    await project.run(["restart", "-t", "20", "postgres"], 300_000);
    await waitFor("postgres running and healthy after its restart", 180_000, async () =>
      (await containerStates(project.name)).some((c) => c.service === "postgres" && c.status === "running" && c.health === "healthy") ? true : undefined,
    );
    const ca = await secretFile(project, "ca/ca.pem");
    // The first request may meet the connection PostgreSQL ended (503); a fresh one follows.
    await waitFor("both example services to answer through the gateway again", 60_000, async () =>
      expectRoutesServed(ca, "erin").then(
        () => true,
        () => undefined,
      ),
    );
    expect(await started()).toEqual(before);
    expect(before.every((line) => line.startsWith("running "))).toBe(true);
  });

  it("should reissue every certificate on a rerun within the boot and have the running containers reload them through the Docker socket", async () => {
    const before = await leafSerials();
    // renewBefore = validity: every leaf is due, as it would be near its expiry.
    const dir = mkdtempSync(join(tmpdir(), "bootgate-compose-renew-"));
    try {
      const good = readFileSync(resolve(REPO, "compose/bootgate.yaml"), "utf8");
      writeFileSync(join(dir, "bootgate.yaml"), good.replace("keyAlgorithm: ecdsa-p256", "keyAlgorithm: ecdsa-p256\n  validity: 90d\n  renewBefore: 90d"));
      copyFileSync(resolve(REPO, "compose/routes.toml"), join(dir, "routes.toml"));
      // A mode the run must mend: init gives the data volumes to their services (public images need it).
      const vaultData = await volumePath(project, "vault-data");
      chmodSync(vaultData, 0o755);
      const rerun = composeProject(command, project.name, project.gatewayPort, { BOOTGATE_CONFIG_DIR: dir }, [
        "compose/docker-socket.yml",
        "test/support/compose-volume-owners.yml",
      ]);
      const out = await rerun.run(["run", "--rm", "--no-deps", "-T", "init"], 300_000, "all");
      for (const service of ["vault", "postgres", "core-data", "core-metadata"])
        expect(out).toMatch(new RegExp(`sent SIGHUP to container \\S+ \\(service ${service}\\)`));
      expect(out).toMatch(/✓ proxy-setup .*reloaded/);
      const owned = statSync(vaultData);
      expect([owned.uid, owned.gid, owned.mode & 0o777]).toEqual([1001, 1001, 0o700]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const after = await leafSerials();
    for (const service of LONG_RUNNING) expect(after[service], service).not.toBe(before[service]);
    // Each running server now serves its new certificate, and the stack still answers end to end.
    await waitFor("every server to serve its reissued certificate", 60_000, async () => {
      const served = [
        await servedSerial("vault", 8200),
        await servedSerial("postgres", 5432, "postgres"),
        await servedSerial("core-data", 59880),
        await servedSerial("gateway", 8443),
      ];
      return served.join() === [after.vault, after.postgres, after["core-data"], after.gateway].map((s) => s!.toUpperCase()).join() ? true : undefined;
    });
    await expectRoutesServed(await secretFile(project, "ca/ca.pem"), "carol");
  });

  it("should leave no container, volume or network behind after down -v", async () => {
    expect(await downLeftovers(project)).toEqual({ containers: "", volumes: "", networks: "" });
  });
});

// Counted per service: Compose v2 also prints the base file's `x-hardening` block, v1 does not.
type MergedService = { security_opt?: string[]; tmpfs?: string | string[] };
const servicesWith = (merged: string, has: (s: MergedService) => boolean) =>
  Object.values((parseYaml(merged) as { services: Record<string, MergedService> }).services).filter(has).length;

describe("the compose overrides", () => {
  // Syntax and merge only: public images cannot be pulled here (no registry), and the socket
  // override is exercised for real by the rerun above.
  it("should merge compose/public-images.yml, compose/docker-socket.yml and compose/kong.yml onto the stack", async () => {
    for (const file of ["compose/public-images.yml", "compose/docker-socket.yml", "compose/kong.yml"]) {
      const merged = await composeProject(command, "bgconfig", 8443, {}, [file]).run(["config"], 60_000);
      expect(merged, file).toMatch(/^services:/m);
      if (file.includes("public")) {
        expect(merged).toContain("image: openbao/openbao:2.7.2");
        expect(merged).toContain("/volumes/vault-data=vault,/volumes/vault-audit=vault,/volumes/postgres-data=postgres");
        // The hardening of the base file survives the override.
        expect(servicesWith(merged, (s) => (s.security_opt ?? []).includes("no-new-privileges:true"))).toBe(8);
      } else if (file.includes("kong")) {
        expect(merged).toContain("image: kong:3.9.1");
        expect(merged).toContain("KONG_DECLARATIVE_CONFIG: /secrets/gateway/kong/kong.yml");
        expect(merged).toContain("BOOTGATE_KONG_MODE: declarative");
        expect(servicesWith(merged, (s) => [s.tmpfs ?? []].flat().some((t) => t.startsWith("/tmp")))).toBe(8);
      } else {
        // v1 prints the short syntax, v2 the long one: the socket must be init's mount target either way.
        const init = (parseYaml(merged) as { services: Record<string, { volumes?: (string | { target?: string })[] }> }).services.init;
        const targets = (init?.volumes ?? []).map((v) => (typeof v === "string" ? (v.split(":")[1] ?? "") : (v.target ?? "")));
        expect(targets).toContain("/var/run/docker.sock");
      }
    }
  });
});

describe("the stack in docker compose with a broken config", () => {
  let broken: ComposeProject;
  let configDir: string;

  afterAll(async () => {
    await broken?.run(["down", "-v", "--remove-orphans", "-t", "5"], 300_000).catch(() => undefined);
    if (configDir) rmSync(configDir, { recursive: true, force: true });
  }, 300_000);

  it("should stop init with exit 2 naming the file and field, open no gate, and let every dependent time out naming its gates", async () => {
    configDir = mkdtempSync(join(tmpdir(), "bootgate-compose-config-"));
    const good = readFileSync(resolve(REPO, "compose/bootgate.yaml"), "utf8");
    writeFileSync(join(configDir, "bootgate.yaml"), good.replace("keyAlgorithm: ecdsa-p256", "keyAlgorithm: rsa-512"));
    copyFileSync(resolve(REPO, "compose/routes.toml"), join(configDir, "routes.toml"));
    broken = composeProject(command, `bgbroken${process.pid}${randomBytes(3).toString("hex")}`, await freePort(), {
      BOOTGATE_CONFIG_DIR: configDir,
      BOOTGATE_WAIT_TIMEOUT: "20",
    });
    await broken.run(["up", "-d"], 600_000);
    const states = await waitFor("every container of the broken stack to exit", 240_000, async () => {
      const all = await containerStates(broken.name);
      // The holder runs on: it only keeps the volume mounted. The agent's waiter exits 124 too,
      // and its restart policy (on-failure) starts it again: looked at on its own below.
      const rest = all.filter((c) => c.service !== "holder" && c.service !== "agent");
      return rest.length === LONG_RUNNING.length + 1 && rest.every((c) => c.status === "exited") ? rest : undefined;
    });
    const code = Object.fromEntries(states.map((s) => [s.service, s.exitCode]));
    const initLog = await logsOf(broken, "init");
    expect(code.init, initLog).toBe(2);
    expect(initLog).toContain("/etc/bootgate/bootgate.yaml");
    expect(initLog).toContain("pki.keyAlgorithm");
    // 124 is the waiters' own code: none of them ever exec'd its program.
    const waitsFor: Record<string, RegExp> = {
      vault: /gates still missing: pki-ready/,
      postgres: /gates still missing: pki-ready/,
      gateway: /gates still missing: gateway-ready/,
      "core-data": /gates still missing: vault-ready, db-ready/,
      "core-metadata": /gates still missing: vault-ready, db-ready/,
    };
    expect(await logsOf(broken, "agent")).toMatch(/gates still missing: vault-ready gateway-ready/);
    for (const [service, message] of Object.entries(waitsFor)) {
      const log = await logsOf(broken, service);
      expect(code[service], `${service}: ${log}`).toBe(124);
      expect(log, service).toMatch(message);
    }
    // Nothing written: no gate, no boot, no keyring.
    // (with compose/subpath.yml the holder made the empty folders the mounts need)
    const gates = gatesDir(await volumePath(broken, "secrets"));
    expect(existsSync(gates) ? readdirSync(gates) : []).toEqual([]);
    expect(readdirSync(await volumePath(broken, "keyring"))).toEqual([]);
  });
});
