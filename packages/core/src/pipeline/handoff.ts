import path from 'node:path';
import { z } from 'zod';
import { seedSchema } from '../context-file.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { readJsonFile } from '../util/json-file.js';
import { phaseReportSchema } from './artifact.js';

/**
 * What reproduce leaves for fix on the same runner (next step of the same job): the sandbox to
 * reattach, the regression test, the verified seed, and the simulator change the fixer must keep.
 */
export const handoffSchema = z.object({
  version: z.literal(1),
  panic_location: z.string().min(1),
  base_commit: z.string().regex(/^[0-9a-f]{40}$/),
  failing_seed: seedSchema,
  regression_test: z.object({
    format: z.enum(['tcl', 'sqltest']),
    path: z.string().min(1),
    expectedFrom: z.enum(['sqlite3', 'fixer']),
  }),
  /** sha256 of the regression test as written; with a sqlite3 oracle the fixer must not change it. */
  test_digest: z.string(),
  /** Repo-relative paths the reproducer changed, with a digest of each file's content. */
  simulator_files: z.record(z.string(), z.string()),
  reproducing: phaseReportSchema,
});
export type Handoff = z.infer<typeof handoffSchema>;

export function handoffFile(workDir: string, sessionId: string): string {
  return path.join(workDir, `${sessionId}.handoff.json`);
}

export function sandboxHandleFile(workDir: string, sessionId: string): string {
  return path.join(workDir, `${sessionId}.sandbox.json`);
}

export async function writeHandoff(file: string, handoff: Handoff): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(handoffSchema.parse(handoff), null, 2)}\n`);
}

export async function readHandoff(file: string, location: string): Promise<Handoff> {
  const read = await readJsonFile(file, handoffSchema);
  if (!read.ok && read.problem === 'invalid')
    throw new Error(`the hand-off from the reproduce step is invalid: ${read.message}`);
  if (!read.ok) throw new Error(`no usable hand-off from the reproduce step at ${file}: ${read.message}`);
  if (read.data.panic_location !== location)
    throw new Error('the hand-off from the reproduce step is for another panic');
  return read.data;
}
