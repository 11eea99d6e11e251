// Types for compose/entry/vault-peers.mjs (a plain Node script in the image), for the unit test.
export type PeerAnswer = "initialized" | "uninitialized" | "unknown";
export type Choice = "join" | "initialize" | "wait";
export function peerAnswer(status: number | undefined, body: string | undefined): PeerAnswer;
export function decide(answers: Record<string, PeerAnswer>, deadlinePassed: boolean): Choice;
export function choose(
  peers: string[],
  ask: (peer: string) => Promise<PeerAnswer>,
  options: { waitMs: number; pollMs: number; now?: () => number; sleep?: (ms: number) => Promise<void> },
): Promise<{ choice: Exclude<Choice, "wait">; answers: Record<string, PeerAnswer> }>;
