// The design notes' log link (Fluent Bit on each VM -> Loki), run with the programs this machine
// has: rsyslog on both ends (rsyslog-gnutls), each with the certificate pki-init wrote into its
// own folder. The shipper accepts only a collector whose certificate names `log-collector`, the
// collector only a shipper named `log-shipper`, both chains checked against the stack's CA.
import { randomUUID } from "node:crypto";
import { appendFile, cp, mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../src/servers/free-port.js";
import { provisionTestPki } from "../../support/pki.js";
import { received, type Rsyslog, startCollector, startShipper } from "../../support/rsyslog.js";
import { tempDir } from "../../support/tmp-dir.js";

const SERVICES = [{ name: "log-shipper" }, { name: "log-collector" }, { name: "core-data" }];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

describe("log shipper -> collector over mutual TLS (rsyslog on both ends, pki-init's certificates)", () => {
  let dir: { path: string } & AsyncDisposable;
  let secrets: string;
  const running: Rsyslog[] = [];
  const started = async (p: Promise<Rsyslog>) => {
    const r = await p;
    running.push(r);
    return r;
  };
  const stopAll = async () => {
    await Promise.all(running.splice(0).map((r) => r.stop()));
  };
  let n = 0;
  /** A fresh work folder and input file for one process. */
  const place = async (label: string) => {
    const work = join(dir.path, `${label}-${++n}`);
    await mkdir(work, { recursive: true });
    const input = join(work, "app.log");
    await writeFile(input, "");
    return { work, input, output: join(work, "received.log") };
  };

  beforeAll(async () => {
    dir = await tempDir("bootgate-logs-");
    secrets = join(dir.path, "secrets");
    await provisionTestPki(dir.path, { services: SERVICES });
  });
  afterEach(stopAll);
  afterAll(async () => {
    await stopAll();
    await dir?.[Symbol.asyncDispose]();
  });

  it("should deliver a line the shipper tails to the collector", async () => {
    const c = await place("collector");
    const s = await place("shipper");
    const port = await freePort();
    await started(startCollector({ serviceDir: join(secrets, "log-collector"), workDir: c.work, port, permittedPeer: "log-shipper", output: c.output }));
    await started(
      startShipper({ serviceDir: join(secrets, "log-shipper"), workDir: s.work, input: s.input, collectorPort: port, collectorName: "log-collector" }),
    );
    const line = `reading ${randomUUID()}`;
    await appendFile(s.input, `${line}\n`);
    await until("the line at the collector", async () => (await received(c.output)).includes(line));
    expect(await received(c.output)).toMatch(new RegExp(`app: ${line}`));
  });

  it("should keep out a shipper whose certificate names another service: refused at the handshake, nothing at the collector", async () => {
    const c = await place("collector");
    const s = await place("impostor");
    const port = await freePort();
    const collector = await started(
      startCollector({ serviceDir: join(secrets, "log-collector"), workDir: c.work, port, permittedPeer: "log-shipper", output: c.output }),
    );
    // core-data's certificate is from the same CA: only its name is wrong.
    await started(
      startShipper({ serviceDir: join(secrets, "core-data"), workDir: s.work, input: s.input, collectorPort: port, collectorName: "log-collector" }),
    );
    const line = `forged ${randomUUID()}`;
    await appendFile(s.input, `${line}\n`);
    await until("the collector to refuse core-data", () => /peer name not authorized.*DNSname: core-data/.test(collector.output()));
    await sleep(2_000);
    expect(await received(c.output)).not.toContain(line);
  });

  it("should not ship to a collector whose certificate names another service: the shipper refuses it, the line stays queued", async () => {
    const c = await place("fake-collector");
    const s = await place("shipper");
    const port = await freePort();
    await started(startCollector({ serviceDir: join(secrets, "core-data"), workDir: c.work, port, permittedPeer: "log-shipper", output: c.output }));
    const shipper = await started(
      startShipper({ serviceDir: join(secrets, "log-shipper"), workDir: s.work, input: s.input, collectorPort: port, collectorName: "log-collector" }),
    );
    const line = `misrouted ${randomUUID()}`;
    await appendFile(s.input, `${line}\n`);
    await until("the shipper to refuse core-data as its collector", () => /peer name not authorized.*DNSname: core-data/.test(shipper.output()));
    await sleep(1_000);
    expect(await received(c.output)).not.toContain(line);
  });

  it("should ship again after a reboot (new CA) once both ends restart with their new files; the old certificate is refused", async () => {
    const oldShipperDir = join(dir.path, "old-log-shipper");
    await cp(join(secrets, "log-shipper"), oldShipperDir, { recursive: true });
    // A reboot: the tmpfs is empty and pki-init makes a new CA and new leaves.
    await rm(secrets, { recursive: true, force: true });
    await provisionTestPki(dir.path, { services: SERVICES });

    const c = await place("collector");
    const port = await freePort();
    const collector = await started(
      startCollector({ serviceDir: join(secrets, "log-collector"), workDir: c.work, port, permittedPeer: "log-shipper", output: c.output }),
    );
    // A shipper still holding the previous boot's files: its CA does not sign the collector's
    // certificate and its certificate is not from the new CA.
    const stale = await place("stale-shipper");
    const staleShipper = await started(
      startShipper({ serviceDir: oldShipperDir, workDir: stale.work, input: stale.input, collectorPort: port, collectorName: "log-collector" }),
    );
    const lost = `stale ${randomUUID()}`;
    await appendFile(stale.input, `${lost}\n`);
    // Both ends refuse: neither finds the other's signer among the CA it trusts.
    await until("both ends to refuse the previous boot's certificate", () =>
      [staleShipper.output(), collector.output()].every((o) => o.includes("certificate invalid: signer not found")),
    );

    const s = await place("shipper");
    await started(
      startShipper({ serviceDir: join(secrets, "log-shipper"), workDir: s.work, input: s.input, collectorPort: port, collectorName: "log-collector" }),
    );
    const line = `after reboot ${randomUUID()}`;
    await appendFile(s.input, `${line}\n`);
    await until("the line at the collector after the reboot", async () => (await received(c.output)).includes(line));
    expect(await received(c.output)).not.toContain(lost);
  });
});
