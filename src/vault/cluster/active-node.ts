// A Vault client that knows every node of the cluster and follows the active one. A standby answers
// 429 (sys/health) or 307, forwards most requests, and while the leader is lost answers 500/503
// ("local node not active but active cluster node not found"); a dead node refuses the connection.
// Each of those means "not here, not now": the call moves on to the next node, a round of all of
// them at a time, until one answers or the deadline passes. Anything else (403, 400, a TLS
// mismatch) is the answer and is thrown at once. The node that answered is asked first next time.
import { RequestError } from "../../errors.js";
import { poll } from "../../util/poll.js";
import { describeVaultError, isVaultNameMissing, vaultStatusCode } from "../vault-errors.js";
import { hasTransientCode } from "../../util/transient.js";

const NOT_ACTIVE_STATUSES = new Set([307, 429, 502, 503]);
// A newly active node (a leader change, or a kv-v2 mount just made) runs kv-v2's upgrade check
// before it takes requests on that mount again: a 400 that passes by itself in a moment.
const KV_UPGRADING = /waiting for the primary to upgrade from non-versioned to versioned data/i;

/** The node did not (or could not) handle the request as the active node: try another. */
export function isNotActiveHere(error: unknown): boolean {
  if (hasTransientCode(error) || isVaultNameMissing(error)) return true;
  // node-vault's errors carry the status in their response; bootgate's own https calls (the raft
  // snapshot API) throw a RequestError with it.
  const status = vaultStatusCode(error) ?? (error instanceof RequestError ? error.statusCode : undefined);
  if (status !== undefined && NOT_ACTIVE_STATUSES.has(status)) return true;
  const message = error instanceof Error ? error.message : String(error);
  if (status === 500) return /active (cluster )?node|not active|leadership|no leader|raft/i.test(message);
  if (status === 400) return KV_UPGRADING.test(message);
  // axios's "socket hang up" / timeout without a code: the node died mid-request.
  return status === undefined && /socket hang up|timeout of \d+ms exceeded/i.test(message);
}

export interface FollowOptions<Node = never> {
  /** How long one call may look for an active node, in all. */
  deadlineMs: number;
  /** Pause after a round in which no node answered (elections take about a second). */
  roundPauseMs: number;
  signal?: AbortSignal;
  /**
   * Whether a node is the active one (`sys/leader`'s is_self). A standby may answer a read from its
   * own copy, which lags the leader's: a read right after a write must go to the active node, so
   * each round first looks for it (once a node fails, or at the start) before asking in order.
   */
  isActive?: (node: Node) => Promise<boolean>;
}

/** A call's answer, and whether the call went out more than once to get it. */
export interface TrackedAnswer<T> {
  value: T;
  /**
   * An earlier attempt failed, so a node may have handled the request before this answer: a
   * node that died or reset the connection after receiving it, or a standby that forwarded it
   * to a leader that committed it and died (the standby then answers with a redirect to the dead
   * node or "no leader", not with what happened). No failure tells "never handled" for sure, so
   * every earlier failure counts; the caller decides whether a second handling matters.
   */
  resent: boolean;
}

export class ActiveNodeFollower<Node extends { address: string }> {
  private preferred = 0;
  private confirmed = false;

  constructor(
    readonly nodes: readonly Node[],
    private readonly options: FollowOptions<Node>,
  ) {
    if (nodes.length === 0) throw new Error("a Vault cluster client needs at least one node");
  }

  /** The node asked first: the active one when known, else the one that answered last. */
  get current(): Node {
    return this.nodes[this.preferred]!;
  }

  async call<T>(what: string, request: (node: Node) => Promise<T>): Promise<T> {
    return (await this.callTracked(what, request)).value;
  }

  /** As call, saying whether the request went out more than once (see TrackedAnswer.resent). */
  async callTracked<T>(what: string, request: (node: Node) => Promise<T>): Promise<TrackedAnswer<T>> {
    const seen = new Map<string, string>();
    let failed = false;
    const answer = await poll(
      async () => {
        if (!this.confirmed) await this.findActive();
        for (let i = 0; i < this.nodes.length; i++) {
          const index = (this.preferred + i) % this.nodes.length;
          const node = this.nodes[index]!;
          try {
            const value = await request(node);
            this.preferred = index;
            return { value, resent: failed };
          } catch (error) {
            if (!isNotActiveHere(error)) throw error;
            failed = true;
            this.confirmed = false;
            seen.set(node.address, describeVaultError(error));
          }
        }
        return undefined;
      },
      {
        timeoutMs: this.options.deadlineMs,
        intervalMs: this.options.roundPauseMs,
        signal: this.options.signal,
        what: () => `an active Vault node to ${what} (${[...seen].map(([a, e]) => `${a}: ${e}`).join("; ")})`,
      },
    );
    return answer;
  }

  private async findActive(): Promise<void> {
    const probe = this.options.isActive;
    if (!probe) return;
    const answers = await Promise.all(this.nodes.map((n) => probe(n).catch(() => false)));
    const active = answers.indexOf(true);
    if (active >= 0) {
      this.preferred = active;
      this.confirmed = true;
    }
  }
}
