// Token creates a cluster's follower sent more than once. Vault has no idempotent create for
// bootgate's policy (a token's own id may only be chosen by a root token), so when a node died
// after committing a create but before answering, the resend on the next node makes a second
// token, and the one nobody holds would live on until its period ran out. Each create on such a
// client carries a random nonce in its meta; only when the follower says a create went out more
// than once are the tokens looked through (LIST auth/token/accessors, sudo in bootgate's policy,
// then lookup-accessor each, whose answer shows the meta) and every other one with that nonce
// revoked. The normal path costs nothing: no listing, no lookups.
import { mapLimit } from "../util/map-limit.js";
import { CREATE_NONCE_META, lookupAccessor, revokeAccessor, type TokenInfo } from "./tokens.js";
import type { VaultClient } from "./vault-client.js";
import { vaultCall } from "./vault-errors.js";

const LOOKUP_CONCURRENCY = 16;

export interface ResentCreate {
  nonce: string;
  /** The accessor of the token the create's answer handed back: the one kept. */
  keep: string;
}

/** The accessors to revoke: tokens carrying a resent create's nonce that are not the one it kept. */
export function duplicateAccessors(
  resent: readonly ResentCreate[],
  tokens: readonly Pick<TokenInfo, "accessor" | "meta">[],
  metaKey: string = CREATE_NONCE_META,
): string[] {
  const kept = new Map(resent.map((r) => [r.nonce, r.keep]));
  return tokens
    .filter((t) => {
      const nonce = t.meta?.[metaKey];
      return nonce !== undefined && kept.has(nonce) && kept.get(nonce) !== t.accessor;
    })
    .map((t) => t.accessor);
}

/** Finds and revokes the extra tokens of resent creates (their nonce under `metaKey`); how many it revoked. */
export async function revokeResentDuplicates(root: VaultClient, resent: readonly ResentCreate[], metaKey: string = CREATE_NONCE_META): Promise<number> {
  if (resent.length === 0) return 0;
  const kept = new Set(resent.map((r) => r.keep));
  const list = (await vaultCall(root.address, "list auth/token/accessors (a resent token create)", () => root.api.list("auth/token/accessors"))) as {
    data?: { keys?: string[] };
  };
  const others = (list.data?.keys ?? []).filter((a) => !kept.has(a));
  const infos = await mapLimit(others, LOOKUP_CONCURRENCY, (accessor) => lookupAccessor(root, accessor));
  const extra = duplicateAccessors(
    resent,
    infos.filter((i): i is TokenInfo => i !== undefined),
    metaKey,
  );
  const revoked = await mapLimit(extra, LOOKUP_CONCURRENCY, (accessor) => revokeAccessor(root, accessor));
  return revoked.filter(Boolean).length;
}

/**
 * Resent creates gathered over many creates, so one listing serves them all (a leader change
 * under secretstore-setup's 16 creates in flight resends each of them).
 */
export class ResentCreates {
  private readonly pending: ResentCreate[] = [];

  add(create: ResentCreate): void {
    this.pending.push(create);
  }

  get size(): number {
    return this.pending.length;
  }

  /** Revokes every gathered create's extra tokens; how many. */
  async settle(root: VaultClient): Promise<number> {
    const batch = this.pending.splice(0);
    return revokeResentDuplicates(root, batch);
  }
}
