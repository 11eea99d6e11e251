// The design notes' stack in docker compose (issue 20): compose/checklist.yml on top of the base
// stack, one stack for the whole file. A request with a JWT through the gateway (nginx) reaches
// the Django app over uWSGI in TLS (mutual); the app logged in to Vault with its certificate
// (hvac), read its database credentials there, and answers with a row read from PostgreSQL over
// verify-full with its client certificate and a value read from Vault. The shipper's log line
// reaches the collector (rsyslog, mutual TLS by name). Each link's refusal is shown with the same
// programs inside the containers (psycopg2, hvac, Python's ssl as a syslog sender); then a reboot
// (down without -v: a new CA) and the same again; `down -v` leaves nothing.
import { X509Certificate, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../src/servers/free-port.js";
import {
  composeCommand,
  composeMode,
  type ComposeMode,
  composeProject,
  type ComposeProject,
  docker,
  downLeftovers,
  REPO,
  runScript,
  upSettled,
  volumeMountpoint,
  waitFor,
} from "../support/compose-stack.js";
import { gatewayGet } from "../support/local-stack.js";

/** The base stack's long-running containers, the agent among them (compose/checklist.yml points it at the checklist's config). */
const BASE = ["vault", "postgres", "gateway", "core-data", "core-metadata", "agent"];
/** The checklist's services with the uid:gid their containers run as (compose/checklist/bootgate.yaml). */
const CHECKLIST: Record<string, string> = { "web-app": "1201:1201", "log-shipper": "1202:1202", "log-collector": "1203:1203" };
const LONG_RUNNING = [...BASE, ...Object.keys(CHECKLIST)];
/** checklist_probe.py, run with `python3 -c` in the checklist image: its source on argv, its input (passwords too) on stdin. */
const PROBE = readFileSync(resolve(REPO, "test/support/checklist_probe.py"), "utf8");
const note = `note ${randomBytes(4).toString("hex")}`;
const greeting = `hello from Vault ${randomBytes(4).toString("hex")}`;

let project: ComposeProject;
let mode: ComposeMode;

beforeAll(async () => {
  await runScript("scripts/docker-engine.sh", 300_000);
  // The base stack's images (build.sh) and the checklist image.
  await runScript("compose/image/build-checklist.sh", 900_000);
  const command = await composeCommand();
  mode = await composeMode();
  project = composeProject(command, `bgcheck${process.pid}${randomBytes(3).toString("hex")}`, await freePort(), {}, ["compose/checklist.yml"]);
}, 1_200_000);

afterAll(async () => {
  await project?.run(["down", "-v", "--remove-orphans", "-t", "10"], 300_000).catch(() => undefined);
}, 300_000);

const volumePath = (volume: string) => volumeMountpoint(project, volume);
const caPem = async () => readFileSync(join(await volumePath("secrets"), "ca/ca.pem"), "utf8");
/** The services whose leaf the agent keeps without a failure, from its state file (compose/checklist.yml gives it init's config). */
async function agentKeeps(services: string[]): Promise<true | undefined> {
  const file = readFileSync(join(await volumePath("secrets"), "bootgate/agent-state.json"), "utf8");
  const state = JSON.parse(file) as { items: { kind: string; service: string; failing: number; expiresAt?: string }[] };
  const kept = state.items.filter((i) => i.kind === "certificate" && services.includes(i.service) && i.failing === 0 && i.expiresAt !== undefined);
  return kept.length === services.length ? true : undefined;
}
const logsOf = (service: string) => project.run(["logs", "--no-color", service], 60_000);

/** Container ids of the current boot: compose's `ps` costs a second or two per call, and the file runs many. */
const ids = new Map<string, string>();
async function exec(service: string, argv: string[], input = ""): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  let id = ids.get(service);
  if (!id) {
    id = await project.containerId(service);
    if (!id) throw new Error(`no container for service ${service}`);
    ids.set(service, id);
  }
  const r = await execa("docker", ["exec", "-i", id, ...argv], { input, reject: false, timeout: 60_000 });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ""), stderr: String(r.stderr ?? "") };
}

interface ProbeAnswer {
  ok: boolean;
  error?: string;
  user?: string;
  policies?: string[];
  data?: Record<string, unknown>;
}

async function probe(service: string, input: Record<string, unknown>): Promise<ProbeAnswer> {
  const r = await exec(service, ["python3", "-c", PROBE], JSON.stringify(input));
  if (r.exitCode !== 0) throw new Error(`checklist_probe.py in ${service} failed (${r.exitCode}): ${r.stderr.slice(-1500)}`);
  return JSON.parse(r.stdout) as ProbeAnswer;
}

/** A service's own certificate, key and CA, as its container sees them. */
const own = (service: string) => ({ cert: `/secrets/${service}/cert.pem`, key: `/secrets/${service}/key.pem`, ca: `/secrets/${service}/ca.pem` });
const vaultKv = (service: string, role: string, path: string, data?: Record<string, unknown>) =>
  probe(service, { op: "vault-kv", url: "https://vault:8200", role, path, ...own(service), ...(data ? { data } : {}) });

/** web-app's database record, read by web-app from Vault after its certificate login. */
async function webAppCredentials(): Promise<Record<string, string | number>> {
  const answer = await vaultKv("web-app", "web-app", "database");
  expect(answer, answer.error).toMatchObject({ ok: true });
  return answer.data as Record<string, string | number>;
}

const connOf = (c: Record<string, string | number>, cert: { cert: string; key: string }, ca: string) => ({
  host: c.serverName,
  port: c.port,
  dbname: c.database,
  user: c.username,
  password: c.password,
  sslmode: "verify-full",
  sslrootcert: ca,
  sslcert: cert.cert,
  sslkey: cert.key,
});

/** A JWT from the gateway's key in Vault: `bootgate token` in a one-off init container. */
const token = async (user: string) =>
  (
    await project.run(
      ["run", "--rm", "--no-deps", "-T", "init", "node", "/app/bin/bootgate.js", "token", user, "--config", "/etc/bootgate/bootgate.yaml"],
      120_000,
    )
  ).trim();

/** up -d; init exits 0; every long-running container runs healthy; the gateway answers /web/ with 401. */
async function boot(): Promise<string> {
  ids.clear();
  await upSettled(project, LONG_RUNNING);
  const ca = await caPem();
  await waitFor(`the gateway on 127.0.0.1:${project.gatewayPort}`, 60_000, async () =>
    (await gatewayGet(ca, project.gatewayPort, "/web/")).status === 401 ? true : undefined,
  );
  return ca;
}

/** Through the gateway to Django: the row from PostgreSQL (verify-full, client cert) and the value from Vault (cert login). */
async function expectDjangoAnswers(ca: string, user: string) {
  const res = await gatewayGet(ca, project.gatewayPort, "/web/readings", await token(user));
  expect(res.status, `${res.body}\n${(await logsOf("web-app")).slice(-3000)}`).toBe(200);
  expect(JSON.parse(res.body)).toEqual({
    path: "/web/readings",
    user,
    db: { user: "web-app", ssl: true, clientDn: "/CN=web-app" },
    note,
    greeting,
  });
  expect((await gatewayGet(ca, project.gatewayPort, "/web/readings")).status).toBe(401);
}

/** A line appended to the log the shipper tails, seen in the collector's output. */
async function expectLineShipped(line: string) {
  const sent = await exec("log-shipper", ["sh", "-c", 'printf "%s\\n" "$0" >> /tmp/app.log', line]);
  expect(sent.exitCode, sent.stderr).toBe(0);
  await waitFor(`the collector to receive "${line}"`, 60_000, async () => {
    const out = await exec("log-collector", ["cat", "/tmp/received.log"]);
    return out.stdout.includes(`app: ${line}`) ? true : undefined;
  });
}

describe("the design notes' stack in docker compose (compose/checklist.yml)", () => {
  let firstCa: string;

  it("should bring every container up healthy and answer a request with a JWT from Django over uWSGI-TLS with its PostgreSQL row and Vault value", async () => {
    const ca = await boot();
    // What the app will find: a row in its own database and a value in its own Vault folder,
    // both written as web-app itself (its certificate: Vault login, PostgreSQL client cert).
    const creds = await webAppCredentials();
    const seeded = await probe("web-app", {
      op: "pg-login",
      conn: connOf(creds, own("web-app"), own("web-app").ca),
      sql: [
        { text: "CREATE TABLE IF NOT EXISTS notes (id serial PRIMARY KEY, note text NOT NULL)" },
        { text: "INSERT INTO notes (note) VALUES (%s)", params: [note] },
      ],
    });
    expect(seeded, seeded.error).toEqual({ ok: true, user: "web-app" });
    const written = await vaultKv("web-app", "web-app", "greeting", { text: greeting });
    expect(written, written.error).toEqual({ ok: true });
    await expectDjangoAnswers(ca, "alice");
    firstCa = ca;
    // The agent runs on the checklist's config: it keeps the checklist services' leaves too.
    await waitFor("the agent to keep the checklist services' leaves", 60_000, () => agentKeeps(Object.keys(CHECKLIST)));
  });

  it("should run each checklist service hardened: its own uid, read-only root, no capability, no new privileges, its own folder only", async () => {
    for (const [service, owner] of Object.entries(CHECKLIST)) {
      const hardening = await docker([
        "inspect",
        "-f",
        "{{.HostConfig.ReadonlyRootfs}} {{.HostConfig.CapDrop}} {{.HostConfig.SecurityOpt}}",
        await project.containerId(service),
      ]);
      expect(hardening, service).toBe("true [ALL] [no-new-privileges:true]");
      const who = await exec(service, ["sh", "-c", `echo "$(id -u):$(id -g) $(stat -c '%a %u:%g' /secrets/${service}/key.pem)"`]);
      expect(who.stdout.trim(), service).toBe(`${owner} 600 ${owner}`);
      expect((await exec(service, ["touch", "/opt/checklist/x"])).stderr).toMatch(/Read-only file system/);
      const listing = (await exec(service, ["ls", "-A", "/secrets"])).stdout.trim().split("\n").sort();
      if (mode === "subpath") expect(listing, service).toEqual([".gates", "ca", service].sort());
      else expect(listing, service).toContain(service);
    }
    // Another service's key is closed to web-app in either mode.
    const peek = await exec("web-app", ["cat", "/secrets/log-shipper/key.pem"]);
    expect(peek.exitCode).not.toBe(0);
    expect(peek.stderr).toMatch(mode === "subpath" ? /No such file or directory/ : /Permission denied/);
  });

  it("should refuse psycopg2 the Django role without its client certificate (web-app) and with another service's (log-shipper)", async () => {
    const creds = await webAppCredentials();
    // libpq would send ~/.postgresql/postgresql.crt if it existed: name a missing file instead.
    const none = await probe("web-app", {
      op: "pg-login",
      conn: connOf(creds, { cert: "/nonexistent/cert.pem", key: "/nonexistent/key.pem" }, own("web-app").ca),
    });
    expect(none.ok).toBe(false);
    expect(none.error).toMatch(/requires a valid client certificate/);
    // The right password, a certificate from the stack's CA, but not web-app's.
    const other = await probe("log-shipper", { op: "pg-login", conn: connOf(creds, own("log-shipper"), own("log-shipper").ca) });
    expect(other.ok).toBe(false);
    expect(other.error).toMatch(/authentication failed for user "web-app"/);
  });

  it("should give hvac exactly web-app's policies for its certificate and refuse log-shipper's certificate for the web-app role", async () => {
    const mine = await probe("web-app", { op: "vault-cert-login", url: "https://vault:8200", role: "web-app", ...own("web-app") });
    expect(mine).toEqual({ ok: true, policies: ["bootgate-token-self", "svc-web-app"] });
    const other = await probe("log-shipper", { op: "vault-cert-login", url: "https://vault:8200", role: "web-app", ...own("log-shipper") });
    expect(other.ok).toBe(false);
    expect(other.error).toMatch(/no chain matching all constraints could be found for this login certificate/);
  });

  it("should carry the shipper's line to the collector and refuse a sender whose certificate names another service", async () => {
    await expectLineShipped(`first boot ${randomBytes(4).toString("hex")}`);
    // web-app's certificate is from the same CA, but the collector permits only log-shipper.
    const stray = `stray ${randomBytes(4).toString("hex")}`;
    const send = `import socket,ssl,sys; d='/secrets/web-app/'; c=ssl.create_default_context(cafile=d+'ca.pem'); c.load_cert_chain(d+'cert.pem', d+'key.pem')
s=c.wrap_socket(socket.create_connection(('log-collector', 6514), 5), server_hostname='log-collector')
m=b'<134>1 - web-app app - - - app: '+sys.argv[1].encode(); s.sendall(str(len(m)).encode()+b' '+m)
try: s.recv(1)
except Exception: pass`;
    await exec("web-app", ["python3", "-c", send, stray]);
    await waitFor("the collector to refuse web-app as a sender", 30_000, async () =>
      /peer name not authorized.*DNSname: web-app/.test(await logsOf("log-collector")) ? true : undefined,
    );
    // A line shipped after the refusal arrives; the stray one never did.
    await expectLineShipped(`after the stray ${randomBytes(4).toString("hex")}`);
    expect((await exec("log-collector", ["cat", "/tmp/received.log"])).stdout).not.toContain(stray);
  });

  it("should have the shipper refuse a collector whose certificate names another service, and send it nothing", async () => {
    // A TLS listener in web-app's container with web-app's own certificate (same CA, wrong name),
    // and a second rsyslogd in the shipper's container pointed at it: the shipper's config permits
    // only log-collector as its peer. The listener writes whatever reaches it.
    const listen = `import socket,ssl; d='/secrets/web-app/'; c=ssl.create_default_context(ssl.Purpose.CLIENT_AUTH); c.load_cert_chain(d+'cert.pem', d+'key.pem')
l=socket.create_server(('0.0.0.0', 6515)); l.settimeout(25)
out=open('/tmp/impostor.log','ab',0)
while True:
  try: s=c.wrap_socket(l.accept()[0], server_side=True)
  except socket.timeout: break
  except Exception as e: out.write(b'handshake: '+str(e).encode()+b'\\n'); continue
  out.write(b'data: '+s.recv(4096)+b'\\n')`;
    const started = await exec("web-app", ["sh", "-c", 'rm -f /tmp/impostor.log; timeout 30 python3 -c "$0" >/dev/null 2>&1 &', listen]);
    expect(started.exitCode, started.stderr).toBe(0);
    const line = `to the impostor ${randomBytes(4).toString("hex")}`;
    const shipper = await exec("log-shipper", [
      "sh",
      "-c",
      'mkdir -p /tmp/rs2 && printf "%s\\n" "$0" > /tmp/app2.log && ' +
        "LOG_WORK_DIR=/tmp/rs2 LOG_INPUT=/tmp/app2.log LOG_COLLECTOR_ADDRESS=web-app LOG_COLLECTOR_PORT=6515 " +
        "timeout 12 rsyslogd -n -f /opt/checklist/rsyslog/shipper.conf -i /tmp/rs2/rsyslogd.pid 2>&1; true",
      line,
    ]);
    expect(shipper.stdout, shipper.stderr).toMatch(/peer name not authorized.*DNSname: web-app/);
    const received = await exec("web-app", ["sh", "-c", "cat /tmp/impostor.log 2>/dev/null; true"]);
    // It connected (with TLS 1.3 the server's side of the handshake completes before the client
    // checks the name and hangs up, so the impostor sees empty reads), and no line reached it.
    expect(received.stdout).toMatch(/^(data|handshake): /m);
    expect(received.stdout).not.toContain(line);
  });

  it("should after a reboot (down, up: a new CA) still answer the Django request and carry a new log line", async () => {
    await project.run(["down", "-t", "20"], 300_000);
    ids.clear();
    const ca = await boot();
    expect(new X509Certificate(ca).fingerprint256).not.toBe(new X509Certificate(firstCa).fingerprint256);
    await expectDjangoAnswers(ca, "bob");
    await expectLineShipped(`second boot ${randomBytes(4).toString("hex")}`);
  });

  it("should leave no container, volume or network behind after down -v", async () => {
    expect(await downLeftovers(project)).toEqual({ containers: "", volumes: "", networks: "" });
  });
});
