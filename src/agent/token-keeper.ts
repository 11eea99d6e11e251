// The agent's token keeper: every identity's periodic token (each service's and bootgate's own
// later-stage token) is renewed by accessor when about half its TTL is left. A token Vault no
// longer knows (it expired while the agent was down, or someone revoked it) is replaced for that
// identity alone: a new token with the same policies through the same token role, recorded in
// the registry with the old accessor pending revocation, written atomically to token.json, then
// the old accessor revoked. A kill at any step converges: the registry lists what is still to
// revoke, token.json is either the old file or the new one.
import type { Config } from "../config/normalize.js";
import { readBoot } from "../gates/gate-file.js";
import { type Identity, identities, writeIdentityToken } from "../vault/provision-tokens.js";
import type { TokenFile } from "../vault/layout.js";
import { readTokenFile } from "../vault/token-file.js";
import { readTokenRegistry, writeTokenRegistry } from "../vault/token-registry.js";
import { ResentCreates } from "../vault/resent-creates.js";
import { createPeriodicToken, renewAccessor, revokeAccessor } from "../vault/tokens.js";
import { vaultStatusCode } from "../vault/vault-errors.js";
import type { AgentState } from "./agent-state.js";
import type { Clock, KeyedTimers } from "./keyed-timers.js";
import { retryDelayMs, tokenRenewalAt } from "./renewal-schedule.js";
import type { VaultSession } from "./vault-session.js";

export interface TokenKeeperContext {
  config: Config;
  session: VaultSession;
  state: AgentState;
  timers: KeyedTimers;
  clock: Clock;
  log: (line: string) => void;
  random?: () => number;
}

export interface TokenKeeper {
  start(): void;
  /** One pass over an identity now (tests, and a start after a restart). */
  keep(name: string): Promise<void>;
  /** Resolves once every running pass has finished (a clean stop waits for it). */
  idle(): Promise<void>;
}

export function tokenKeeper(ctx: TokenKeeperContext): TokenKeeper {
  const { config, session, state, timers, clock, log } = ctx;
  const random = ctx.random ?? Math.random;
  const all = identities(config);
  const byName = new Map(all.map((id) => [id.name, id]));
  const running = new Set<Promise<void>>();
  // One registry update at a time: each is a read-modify-write of one KV entry.
  let registryQueue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = registryQueue.then(fn, fn);
    registryQueue = next.catch(() => {});
    return next;
  };

  const replace = async (id: Identity, old: TokenFile | undefined): Promise<number> => {
    const client = await session.client();
    const mount = config.vault.kvMount;
    const bootId = (await readBoot(config.secretsDir))?.bootId ?? old?.bootId ?? "agent";
    const resent = new ResentCreates();
    const token = await createPeriodicToken(client, { policies: id.policies, displayName: `bootgate-${id.name}`, meta: { service: id.name, bootId } }, resent);
    const issuedAt = new Date(clock.now()).toISOString();
    const stale = await serialized(async () => {
      const registry = await readTokenRegistry(client, mount);
      const previous = [registry.tokens[id.name]?.accessor, old?.accessor].filter((a): a is string => a !== undefined && a !== token.accessor);
      registry.tokens[id.name] = { accessor: token.accessor, bootId, issuedAt };
      registry.revoke = [...new Set([...registry.revoke, ...previous])];
      await writeTokenRegistry(client, mount, registry);
      return previous;
    });
    await writeIdentityToken(config, id, token, bootId, issuedAt);
    for (const accessor of stale) await revokeAccessor(client, accessor);
    await serialized(async () => {
      const registry = await readTokenRegistry(client, mount);
      registry.revoke = registry.revoke.filter((a) => !stale.includes(a));
      await writeTokenRegistry(client, mount, registry);
    });
    // After the new token is recorded and on disk: a create the cluster's follower sent twice.
    const duplicates = await resent.settle(client);
    log(
      `token of ${id.name}: replaced (the old one was ${old ? "gone" : "missing"})${duplicates ? `; revoked ${duplicates} extra token(s) of a resent create` : ""}`,
    );
    return config.vault.tokenPeriodMs;
  };

  const pass = async (id: Identity): Promise<void> => {
    try {
      const file = await readTokenFile(config.secretsDir, id.name);
      let ttlMs: number | undefined;
      if (file && file.address === config.vault.address && file.kvMount === config.vault.kvMount) {
        const client = await session.client();
        const ttl = await renewAccessor(client, file.accessor);
        if (ttl !== undefined) ttlMs = ttl * 1000;
      }
      ttlMs ??= await replace(id, file);
      const now = clock.now();
      const nextAt = tokenRenewalAt(ttlMs, now, random);
      state.succeeded("token", id.name, { expiresAt: now + ttlMs, renewed: true, nextAt }, now);
      timers.at(`token/${id.name}`, nextAt, () => run(id));
    } catch (error) {
      // A refusal of the agent's own login: the next try logs in again.
      if (vaultStatusCode(error) === 403) session.invalidate();
      const attempt = state.item("token", id.name).failing + 1;
      const nextAt = clock.now() + retryDelayMs(attempt, random);
      const message = error instanceof Error ? error.message : String(error);
      state.failed("token", id.name, message, nextAt);
      log(`token of ${id.name}: ${message}; retrying in ${Math.round((nextAt - clock.now()) / 1000)}s`);
      timers.retry(
        `token/${id.name}`,
        nextAt,
        () => run(id),
        (at) => state.rescheduled("token", id.name, at),
      );
    }
  };

  // What a run killed between recording a replacement and revoking the old token left pending.
  const sweep = async (attempt = 1): Promise<void> => {
    try {
      const client = await session.client();
      await serialized(async () => {
        const registry = await readTokenRegistry(client, config.vault.kvMount);
        if (registry.revoke.length === 0) return;
        const live = new Set(Object.values(registry.tokens).map((t) => t.accessor));
        for (const accessor of registry.revoke) if (!live.has(accessor)) await revokeAccessor(client, accessor);
        await writeTokenRegistry(client, config.vault.kvMount, { ...registry, revoke: [] });
        log(`revoked ${registry.revoke.length} token(s) an earlier run left pending`);
      });
    } catch (error) {
      if (vaultStatusCode(error) === 403) session.invalidate();
      timers.at("token-registry", clock.now() + retryDelayMs(attempt, random), () => void track(sweep(attempt + 1)));
    }
  };

  const track = (p: Promise<void>): Promise<void> => {
    const tracked = p.finally(() => running.delete(tracked));
    running.add(tracked);
    return tracked;
  };

  const run = (id: Identity): Promise<void> => {
    const p = pass(id).finally(() => running.delete(p));
    running.add(p);
    return p;
  };

  return {
    start: () => {
      void track(sweep());
      for (const id of all) {
        state.item("token", id.name);
        void run(id);
      }
    },
    keep: async (name) => {
      const id = byName.get(name);
      if (!id) throw new Error(`no identity \`${name}\` in ${config.source}`);
      await run(id);
    },
    idle: async () => {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
  };
}
