import { z } from 'zod';
import { writeFileAtomic } from './util/atomic-write.js';
import { readJsonFile } from './util/json-file.js';

/** Seeds are u64 in Turso's simulator; kept as a decimal string past 2^53 so nothing is rounded. */
export const seedSchema = z.union([
  z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  z
    .string()
    .regex(/^(0|[1-9][0-9]{0,19})$/, 'must be a decimal u64')
    .refine((s) => /^[0-9]+$/.test(s) && BigInt(s) < 2n ** 64n, 'must fit in u64'),
]);
export type Seed = z.infer<typeof seedSchema>;

/** `panic_context.json`: what the action knows about the panic plus what the agents report. */
export const panicContextSchema = z.object({
  panic_location: z.string().min(1),
  panic_message: z.string(),
  sql_statements: z.string(),
  regression_test: z.string().min(1),
  base_commit: z.string().min(7),
  failing_seed: seedSchema.optional(),
  why_simulator_missed: z.string().optional(),
  simulator_changes: z.string().optional(),
  bug_description: z.string().optional(),
  fix_description: z.string().optional(),
});
export type PanicContext = z.infer<typeof panicContextSchema>;

export async function readPanicContext(file: string): Promise<PanicContext> {
  const read = await readJsonFile(file, panicContextSchema);
  if (read.ok) return read.data;
  if (read.problem === 'unreadable')
    throw new Error(`cannot read the panic context file ${file}: ${read.code}`);
  if (read.problem === 'not-json') throw new Error(`the panic context file ${file} is not valid JSON`);
  throw new Error(`the panic context file ${file} is invalid: ${read.message}`);
}

export async function writePanicContext(file: string, context: PanicContext): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(panicContextSchema.parse(context), null, 2)}\n`);
}

/** Read, merge, validate, write to a temp file and rename: never a half-written context. */
export async function mergePanicContext(file: string, patch: Partial<PanicContext>): Promise<PanicContext> {
  const merged = { ...(await readPanicContext(file)), ...patch };
  await writePanicContext(file, merged);
  return merged;
}
