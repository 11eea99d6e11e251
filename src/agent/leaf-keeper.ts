// The agent's leaf keeper: reads each leaf on the volume (every service's but the gateway's,
// whose leaf lives in Vault, and bootgate's own), and renews it through the issuer when it falls
// due (renewal-schedule.ts). The new leaf and key are written atomically in the existing layout
// (key first, then cert.pem); ca.pem and the bundle are not touched: the CA does not change.
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import type { Config } from "../config/normalize.js";
import type { ServiceConfig } from "../config/schema.js";
import { isRoot } from "../fs/atomic-write.js";
import { BOOTGATE_LEAF } from "../pki/bootgate-leaf.js";
import { writeServices } from "../pki/bundle-writer.js";
import { gatewayServiceOf } from "../pki/provision.js";
import { servicePath } from "../volume/layout.js";
import type { AgentState } from "./agent-state.js";
import type { Clock, KeyedTimers } from "./keyed-timers.js";
import type { LeafIssuer } from "./leaf-issuer.js";
import { leafDueAt, leafRenewalAt, retryDelayMs } from "./renewal-schedule.js";

export interface LeafKeeperContext {
  config: Config;
  issuer: LeafIssuer;
  state: AgentState;
  timers: KeyedTimers;
  clock: Clock;
  log: (line: string) => void;
  random?: () => number;
  /** Called after a leaf was written (bootgate's own: the listener takes it). */
  onRenewed?: (service: string) => void;
  /** renewBefore as written in the config; undefined: 2/3 of each leaf's lifetime. */
  renewBeforeMs?: number | undefined;
}

export interface LeafKeeper {
  start(): void;
  keep(name: string): Promise<void>;
  idle(): Promise<void>;
}

interface OnDisk {
  notBefore: Date;
  notAfter: Date;
  serial: string;
  /** key.pem is the key of cert.pem: false after a write cut between the two renames (kill -9). */
  paired: boolean;
}

async function readLeaf(secretsDir: string, service: string): Promise<OnDisk | undefined> {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(await readFile(servicePath(secretsDir, service, "cert")));
  } catch {
    return undefined;
  }
  let paired = false;
  try {
    paired = cert.checkPrivateKey(createPrivateKey(await readFile(servicePath(secretsDir, service, "key"))));
  } catch {
    // No key, or not one: renewed like a missing leaf.
  }
  return { notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo), serial: cert.serialNumber, paired };
}

/**
 * A service the config names no owner for keeps the owner its files have: `up --local` hands
 * PostgreSQL's key to the server's own user, which must still read the renewed one.
 */
async function ownedLikeOnDisk(secretsDir: string, service: ServiceConfig): Promise<ServiceConfig> {
  if (!isRoot() || service.uid !== undefined || service.gid !== undefined) return service;
  try {
    const { uid, gid } = await stat(servicePath(secretsDir, service.name, "key"));
    return uid === 0 && gid === 0 ? service : { ...service, uid, gid };
  } catch {
    return service;
  }
}

/** The leaves the agent keeps: on the volume, not imported (an imported leaf is its owner's to renew), not remote (its enrollee renews it). */
export function keptLeaves(config: Config): ServiceConfig[] {
  const gateway = gatewayServiceOf(config);
  return [...config.services.filter((s) => s !== gateway && s.importCert === undefined && !s.remote), BOOTGATE_LEAF];
}

export function leafKeeper(ctx: LeafKeeperContext): LeafKeeper {
  const { config, issuer, state, timers, clock, log } = ctx;
  const random = ctx.random ?? Math.random;
  const all = keptLeaves(config);
  const byName = new Map(all.map((s) => [s.name, s]));
  const running = new Set<Promise<void>>();

  // `scheduledFor`: the serial a timer was set for. It fires at the jittered time, a little before
  // the leaf is due, and renews that leaf; a leaf replaced meanwhile (a rerun of pki-init) is
  // judged afresh.
  const pass = async (service: ServiceConfig, scheduledFor?: string): Promise<void> => {
    try {
      const found = await readLeaf(config.secretsDir, service.name);
      let leaf: OnDisk;
      let renewed = false;
      if (!found || !found.paired || found.serial === scheduledFor || leafDueAt(found, ctx.renewBeforeMs) <= clock.now()) {
        const issued = await issuer.issue(service, config.pki.validityMs);
        const owner = await ownedLikeOnDisk(config.secretsDir, service);
        await writeServices(config.secretsDir, [{ service: owner, keyPem: issued.keyPem, certPem: issued.certPem + issued.chainPem }]);
        const written = await readLeaf(config.secretsDir, service.name);
        if (!written?.paired) throw new Error(`the leaf written for ${service.name} cannot be read back with its key`);
        leaf = written;
        renewed = true;
        log(`certificate of ${service.name}: renewed, serial ${leaf.serial}, valid until ${leaf.notAfter.toISOString()}`);
        ctx.onRenewed?.(service.name);
      } else leaf = found;
      const now = clock.now();
      const nextAt = leafRenewalAt(leaf, ctx.renewBeforeMs, now, random);
      state.succeeded("certificate", service.name, { expiresAt: leaf.notAfter.getTime(), renewed, nextAt, serial: leaf.serial }, now);
      const serial = leaf.serial;
      timers.at(`certificate/${service.name}`, nextAt, () => void run(service, serial));
    } catch (error) {
      const attempt = state.item("certificate", service.name).failing + 1;
      const nextAt = clock.now() + retryDelayMs(attempt, random);
      const message = error instanceof Error ? error.message : String(error);
      state.failed("certificate", service.name, message, nextAt);
      // What is on disk still counts until it expires.
      const onDisk = await readLeaf(config.secretsDir, service.name);
      if (onDisk) state.item("certificate", service.name).expiresAt = onDisk.notAfter.getTime();
      log(`certificate of ${service.name}: ${message}; retrying in ${Math.round((nextAt - clock.now()) / 1000)}s`);
      timers.retry(
        `certificate/${service.name}`,
        nextAt,
        () => void run(service, onDisk?.serial),
        (at) => state.rescheduled("certificate", service.name, at),
      );
    }
  };

  const run = (service: ServiceConfig, scheduledFor?: string): Promise<void> => {
    const p = pass(service, scheduledFor).finally(() => running.delete(p));
    running.add(p);
    return p;
  };

  return {
    start: () => {
      for (const s of all) {
        state.item("certificate", s.name);
        void run(s);
      }
    },
    keep: async (name) => {
      const s = byName.get(name);
      if (!s) throw new Error(`no leaf \`${name}\` kept by the agent`);
      await run(s);
    },
    idle: async () => {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
