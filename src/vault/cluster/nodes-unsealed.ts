// Before vault-ready opens on a cluster: every node that answers is unsealed. The services reach
// Vault through one name that resolves to any node (compose's alias `vault`), and a node still
// joining answers 503 to everything until it has the cluster's data and unseals itself — so a
// service's one read at start could land there. The wait is bounded and skips a node that does
// not answer at all (down, or its container gone): issue 16 wants the boot to complete on a
// quorum, so a node that stays sealed past the bound is named in the log and the gate opens.
import { readFile } from "node:fs/promises";
import type { Config } from "../../config/normalize.js";
import { sleep } from "../../util/sleep.js";
import { caBundlePath } from "../../volume/layout.js";
import { readSealStatus } from "../seal-status.js";
import { createVaultClient } from "../vault-client.js";
import { describeVaultError, vaultStatusCode } from "../vault-errors.js";

/** What one node says now: unsealed, still coming (sealed, joining, 503), or not answering. */
export type NodeState = "unsealed" | "sealed" | "unreachable";

export interface NodesUnsealedOptions {
  /** The bound on the whole wait. */
  timeoutMs: number;
  /** How long a node that does not answer at all is waited for (it may be starting) before it counts as down. */
  unreachableGraceMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
  log?(line: string): void;
}

export interface NodesUnsealed {
  unsealed: string[];
  /** Skipped: no answer within the grace. */
  down: string[];
  /** Answered but still sealed when the bound ran out. */
  sealed: string[];
}

export async function waitForNodesUnsealed(
  names: readonly string[],
  probe: (name: string) => Promise<{ state: NodeState; detail?: string }>,
  options: NodesUnsealedOptions,
): Promise<NodesUnsealed> {
  const start = Date.now();
  const seen = new Map<string, { state: NodeState; detail?: string }>();
  for (;;) {
    const results = await Promise.all(names.map(async (name) => [name, await probe(name)] as const));
    for (const [name, result] of results) seen.set(name, result);
    const elapsed = Date.now() - start;
    const pending = results.filter(([, r]) => r.state === "sealed" || (r.state === "unreachable" && elapsed < options.unreachableGraceMs));
    if (pending.length === 0 || elapsed >= options.timeoutMs) break;
    await sleep(options.intervalMs ?? 250, options.signal);
  }
  const of = (state: NodeState) => names.filter((n) => seen.get(n)?.state === state);
  const result = { unsealed: of("unsealed"), down: of("unreachable"), sealed: of("sealed") };
  for (const name of result.down) options.log?.(`vault node ${name} does not answer (${seen.get(name)?.detail ?? "?"}): vault-ready opens without it`);
  for (const name of result.sealed)
    options.log?.(`vault node ${name} still sealed after ${options.timeoutMs} ms (${seen.get(name)?.detail ?? "?"}): vault-ready opens on the others`);
  return result;
}

const PROBE_TIMEOUT_MS = 3_000;

/** Asks each node itself (verified by its own name against the stack's CA). */
export async function waitForClusterUnsealed(config: Config, options: NodesUnsealedOptions): Promise<NodesUnsealed> {
  const caPem = await readFile(caBundlePath(config.secretsDir));
  const { names, addresses } = config.vault.cluster;
  const probe = async (name: string) => {
    const client = createVaultClient({ address: addresses[names.indexOf(name)]!, caPem, serverName: name, requestTimeoutMs: PROBE_TIMEOUT_MS });
    try {
      const seal = await readSealStatus(client);
      return seal.initialized && !seal.sealed
        ? { state: "unsealed" as const }
        : { state: "sealed" as const, detail: seal.initialized ? "sealed" : "not initialized" };
    } catch (error) {
      // An HTTP answer (503 while joining) is a node that is up: wait for it; anything else is no answer.
      return { state: vaultStatusCode(error) !== undefined ? ("sealed" as const) : ("unreachable" as const), detail: describeVaultError(error) };
    } finally {
      client.close();
    }
  };
  return waitForNodesUnsealed(names, probe, options);
}
