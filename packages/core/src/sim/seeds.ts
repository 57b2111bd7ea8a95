import type { Seed } from '../context-file.js';

const U64 = (1n << 64n) - 1n;

export function seedText(seed: Seed): string {
  return typeof seed === 'number' ? String(seed) : seed;
}

/** splitmix64: a fixed, well-mixed sequence, so validation seeds are the same on every rerun. */
function splitmix64(state: bigint): { next: bigint; value: bigint } {
  const next = (state + 0x9e3779b97f4a7c15n) & U64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & U64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & U64;
  return { next, value: z ^ (z >> 31n) };
}

/**
 * `count` distinct seeds derived from the failing seed (deterministic, never equal to it). Kept
 * below 2^53 so they print the same in every JSON consumer.
 */
export function validationSeeds(failingSeed: Seed, count: number): string[] {
  const failing = BigInt(seedText(failingSeed));
  const seen = new Set<bigint>([failing]);
  const seeds: string[] = [];
  let state = failing;
  while (seeds.length < count) {
    const step = splitmix64(state);
    state = step.next;
    const seed = step.value & ((1n << 53n) - 1n);
    if (seen.has(seed)) continue;
    seen.add(seed);
    seeds.push(seed.toString());
  }
  return seeds;
}
