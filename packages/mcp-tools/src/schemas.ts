import { z } from 'zod';
import { seedSchema } from './core.js';

/**
 * A u64 simulator seed, as core's `seedSchema` takes it: JSON numbers past 2^53 lose digits, so those
 * must come as decimal strings.
 */
export const seedInput = seedSchema.describe(
  'Simulator seed, an unsigned 64-bit integer. Pass values above 9007199254740991 as a decimal string.',
);

/** Longest free text the describe tools take (the context file ends up in a PR body). */
export const MAX_TEXT = 20_000;

export function textInput(description: string) {
  return z
    .string()
    .max(MAX_TEXT, `must be at most ${MAX_TEXT} characters`)
    .refine((text) => text.trim() !== '', 'must not be empty')
    .describe(description);
}
