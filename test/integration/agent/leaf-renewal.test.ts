// The agent renews every leaf on the volume through Vault's PKI engine (pki.issuer: vault, a
// mount that is not the default name) against a real OpenBao and a real PostgreSQL, with short
// leaves: new serials from the same intermediate, written atomically with their owner and mode,
// the CA untouched, and both servers serving the renewed leaf after their SIGHUP.
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { startAgent } from "../../../src/agent/run-agent.js";
import { keptLeaves } from "../../../src/agent/leaf-keeper.js";
import { reloadOnRenewal, sighup } from "../../../src/local/reload-on-renewal.js";
import { splitCertificates } from "../../../src/pki/pem.js";
import { freePort } from "../../../src/servers/free-port.js";
import { poll } from "../../../src/util/poll.js";
import { agentStatePath, caBundlePath, serviceDir, servicePath } from "../../../src/volume/layout.js";
import { runCli } from "../../support/cli.js";
import { startDbStack } from "../../support/db-stack.js";
import { postgresServedSerial, servedSerial } from "../../support/served-serial.js";

const RENEWALS = 2;
const normal = (serial: string) => serial.replace(/^0+/, "").toUpperCase();

describe("bootgate agent: every leaf renewed end to end (real OpenBao, PostgreSQL)", () => {
  it("should renew every leaf with a new serial from the same CA, atomically, owner and mode kept, the CA byte-identical, and the servers serve it", async () => {
    await using stack = await startDbStack({
      services: [{ name: "core-data", database: "coredata" }, { name: "core-metadata" }],
      config: {
        pki: { validity: "45s", renewBefore: "30s" },
        vault: { pkiMount: "stackpki" },
        agent: { listen: `127.0.0.1:${await freePort()}` },
      },
    });
    const { config } = stack;
    const dir = config.secretsDir;
    const bundle = await readFile(caBundlePath(dir));
    const [, intermediatePem] = splitCertificates(bundle.toString());
    const intermediate = new X509Certificate(intermediatePem!);
    const leaves = keptLeaves(config);
    expect(leaves.map((s) => s.name).sort()).toEqual(["bootgate", "core-data", "core-metadata", "postgres", "vault"]);
    const copies = new Map(
      await Promise.all(leaves.filter((s) => s.name !== "bootgate").map(async (s) => [s.name, await readFile(servicePath(dir, s.name, "ca"))] as const)),
    );
    const serials = new Map(leaves.map((s) => [s.name, new Set<string>()]));

    const reloadLines: string[] = [];
    const watches = [
      reloadOnRenewal({ name: "openbao", dir: serviceDir(dir, "vault"), reload: sighup(stack.vault.bao!.pid) }, (l) => reloadLines.push(l)),
      reloadOnRenewal({ name: "postgres", dir: serviceDir(dir, "postgres"), reload: sighup(stack.pg.pid!) }, (l) => reloadLines.push(l)),
    ];
    await Promise.all(watches.map((w) => w.ready));
    const abort = new AbortController();
    const lines: string[] = [];
    const agent = await startAgent(config, { signal: abort.signal, log: (l) => lines.push(l) });
    try {
      const checked = new Set<string>();
      await poll(
        async () => {
          // The CA and every copy of it never change while leaves are renewed.
          expect((await readFile(caBundlePath(dir))).equals(bundle)).toBe(true);
          for (const [service, copy] of copies) expect((await readFile(servicePath(dir, service, "ca"))).equals(copy), service).toBe(true);
          for (const s of leaves) {
            const pem = await readFile(servicePath(dir, s.name, "cert"), "utf8");
            const leaf = new X509Certificate(pem);
            serials.get(s.name)!.add(leaf.serialNumber);
            if (checked.has(leaf.serialNumber)) continue;
            checked.add(leaf.serialNumber);
            // Issued by this boot's intermediate (the one in ca/ca.pem), and the chain in cert.pem is that one.
            expect(leaf.checkIssued(intermediate) && leaf.verify(intermediate.publicKey), s.name).toBe(true);
            expect(splitCertificates(pem)[1]?.trim(), s.name).toBe(intermediatePem!.trim());
          }
          return [...serials.values()].every((set) => set.size > RENEWALS) ? true : undefined;
        },
        { timeoutMs: 150_000, intervalMs: 200, what: `every leaf renewed ${RENEWALS} times` },
      );
      // After the reload both servers present the newest leaf, verified against ca/ca.pem by their names.
      const ca = bundle.toString();
      const onDisk = async (service: string) => normal(new X509Certificate(await readFile(servicePath(dir, service, "cert"))).serialNumber);
      // The leaf on disk keeps moving (a renewal every ~15 s) and a reload under load can take some
      // seconds: wait for a moment where the served and the written one are the same.
      await poll(async () => ((await servedSerial({ port: stack.vault.bao!.port, servername: "vault", ca })) === (await onDisk("vault")) ? true : undefined), {
        timeoutMs: 30_000,
        intervalMs: 200,
        what: "OpenBao to serve its newest leaf",
      });
      await poll(
        async () =>
          normal(await postgresServedSerial({ port: config.postgres.port, servername: "postgres", ca })) === (await onDisk("postgres")) ? true : undefined,
        {
          timeoutMs: 30_000,
          intervalMs: 200,
          what: "PostgreSQL to serve its newest leaf",
        },
      );
      expect(reloadLines.some((l) => l.startsWith("openbao:"))).toBe(true);
      expect(reloadLines.some((l) => l.startsWith("postgres:"))).toBe(true);

      // `bootgate status` shows, from the agent's state file, each leaf's last renewal and the next.
      await poll(
        async () => {
          const status = await runCli(["status", "--config", stack.configFile]);
          expect(status.code).toBe(0);
          const agentBlock = status.stdout.split("\n\n").find((b) => b.startsWith("agent "));
          if (!agentBlock?.startsWith("agent running since")) return undefined;
          for (const s of leaves) {
            const row = agentBlock.split("\n").find((l) => new RegExp(`^${s.name}\\s+certificate\\s`).test(l));
            // expires, last renewal and next renewal are each "<ISO time> (...)"; the last error "-".
            if (!row || (row.match(/\d{4}-\d\d-\d\dT[\d:.]+Z \((in|[\d.]+ \w+ ago)/g) ?? []).length !== 3 || !row.trimEnd().endsWith("-")) return undefined;
          }
          return true;
        },
        { timeoutMs: 10_000, intervalMs: 300, what: "`bootgate status` to show every leaf's renewal" },
      );
    } finally {
      abort.abort();
      await agent.stopped;
      await Promise.all(watches.map((w) => w.stop()));
    }

    for (const s of leaves) {
      const folder = serviceDir(dir, s.name);
      const certPem = await readFile(servicePath(dir, s.name, "cert"), "utf8");
      const leaf = new X509Certificate(certPem);
      // The pair matches, and nothing half-written or temporary is left beside it.
      expect(leaf.checkPrivateKey(createPrivateKey(await readFile(servicePath(dir, s.name, "key")))), s.name).toBe(true);
      expect(
        (await readdir(folder)).filter((f) => f.endsWith(".tmp")),
        s.name,
      ).toEqual([]);
      const key = await stat(servicePath(dir, s.name, "key"));
      const cert = await stat(servicePath(dir, s.name, "cert"));
      expect(key.mode & 0o777, s.name).toBe(0o600);
      expect(cert.mode & 0o777, s.name).toBe(0o644);
      const owner = s.uid ?? process.getuid!();
      expect([key.uid, cert.uid], s.name).toEqual([owner, owner]);
      expect(leaf.subjectAltName, s.name).toContain(`DNS:${s.name}`);
    }
    // A stopped agent leaves its last state, and status says it is not running.
    const afterStop = await runCli(["status", "--json", "--config", stack.configFile]);
    const agentJson = (
      JSON.parse(afterStop.stdout) as { agent: { running: boolean; stopped: boolean; items: { service: string; kind: string; renewedAt?: string }[] } }
    ).agent;
    expect(agentJson).toMatchObject({ running: false, stopped: true });
    for (const s of leaves) expect(agentJson.items.find((i) => i.service === s.name && i.kind === "certificate")?.renewedAt, s.name).toBeTruthy();
    const stateFile = await stat(agentStatePath(dir));
    expect(stateFile.mode & 0o777).toBe(0o600);
    expect(await readFile(agentStatePath(dir), "utf8")).not.toMatch(/PRIVATE KEY|hvs\.|"token"\s*:/);

    // The renewals were the agent's, through the configured mount, and no key reached the log.
    expect(lines.filter((l) => /renewed, serial/.test(l)).length).toBeGreaterThanOrEqual(leaves.length * RENEWALS);
    expect(lines.join("\n")).not.toMatch(/PRIVATE KEY/);
    expect(lines.join("\n")).not.toMatch(/stackpki.*(403|404|error)/i);
  }, 240_000);
});
