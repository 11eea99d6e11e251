// Whether a compose Vault node handed the `initialize` stanza may really bootstrap the cluster,
// from what its peers say (compose/entry/vault-node.mjs asks; the decision is kept pure here so
// test/unit/compose/vault-peers.test.ts can cover it). bootgate hands the stanza to vault-0 while
// no cluster is recorded on its state volume; that record is written only after the first login,
// so a crash between the cluster's self-initialization and the record, followed by the loss of
// vault-0's data volume, would let vault-0 bootstrap a second one-node cluster beside its live
// peers (openbao issues 3652, 2274). pki-init runs before any node, so only the node can ask.

/**
 * What one peer's `GET /v1/sys/health` says: "initialized", "uninitialized", or "unknown" (no
 * answer, or one that says neither). The body's `initialized` is used first: OpenBao sends the same
 * JSON with every code. Without it, the default codes: 200 active, 429 standby, 503 sealed (OpenBao
 * tests initialization before the seal, so a sealed answer is an initialized node: a peer still
 * unsealing itself holds the cluster as much as an unsealed one), 501 not initialized; 472-474 are
 * Vault's standby variants.
 */
export function peerAnswer(status, body) {
  if (status === undefined) return "unknown";
  try {
    const parsed = JSON.parse(body ?? "");
    if (parsed && typeof parsed.initialized === "boolean") return parsed.initialized ? "initialized" : "uninitialized";
  } catch {
    // Not JSON: fall back to the code.
  }
  if ([200, 429, 472, 473, 474, 503].includes(status)) return "initialized";
  if (status === 501) return "uninitialized";
  return "unknown";
}

/**
 * The node's choice from its peers' latest answers (peer name -> peerAnswer):
 *   "join"       a peer is initialized: a cluster exists, the stanza would start a second one
 *   "initialize" every peer answered "uninitialized": a true first boot (they can only become
 *                initialized by joining this node, since none of them has the stanza)
 *   "wait"       some peer has not answered yet, and the deadline has not passed
 * At the deadline with no peer initialized the node initializes: on a first boot a peer that is
 * down, slow or broken must not hold the whole stack's boot forever. The stanza exists only while
 * no cluster is recorded (the first boot, or one right after a crash before the record), so what
 * that accepts is the rare case of that crash, vault-0's volume lost, and every live peer silent
 * for the whole bound.
 */
export function decide(answers, deadlinePassed) {
  const values = Object.values(answers);
  if (values.includes("initialized")) return "join";
  if (values.every((a) => a === "uninitialized")) return "initialize";
  return deadlinePassed ? "initialize" : "wait";
}

/**
 * Asks every peer until decide() is not "wait". ask(peer) resolves to a peerAnswer value (never
 * rejects); sleep(ms) and now() are injected for the tests. Returns the choice and the last answers.
 */
export async function choose(peers, ask, { waitMs, pollMs, now = Date.now, sleep = (ms) => new Promise((r) => setTimeout(r, ms)) }) {
  const deadline = now() + waitMs;
  const answers = Object.fromEntries(peers.map((p) => [p, "unknown"]));
  for (;;) {
    const round = await Promise.all(peers.map(async (p) => [p, await ask(p)]));
    for (const [p, a] of round) {
      // A peer once seen "uninitialized" and now silent (restarting) keeps its definite answer.
      if (a !== "unknown" || answers[p] !== "uninitialized") answers[p] = a;
    }
    const choice = decide(answers, now() >= deadline);
    if (choice !== "wait") return { choice, answers };
    await sleep(pollMs);
  }
}
