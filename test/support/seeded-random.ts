// A seeded generator (mulberry32), so a failing run of a randomized test can be run again as it was.
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** BOOTGATE_TEST_SEED replays a run; otherwise a fresh seed, printed by the caller. */
export function testSeed(env: NodeJS.ProcessEnv = process.env): number {
  const given = Number(env.BOOTGATE_TEST_SEED);
  return Number.isInteger(given) && given > 0 ? given : 1 + Math.floor(Math.random() * 2_147_483_646);
}
