import { z } from 'zod';

/**
 * A u64 simulator seed; accepts what core's `seedSchema` accepts. JSON numbers past 2^53 lose digits,
 * so those must come as decimal strings. (The range check guards BigInt: zod runs refinements even
 * after the pattern failed.)
 */
export const seedInput = z
  .union([
    z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    z
      .string()
      .regex(/^(0|[1-9][0-9]{0,19})$/, 'must be a decimal u64')
      .refine((s) => /^[0-9]+$/.test(s) && BigInt(s) < 2n ** 64n, 'must fit in u64'),
  ])
  .describe(
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
