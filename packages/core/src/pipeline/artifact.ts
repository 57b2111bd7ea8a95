import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { panicContextSchema, seedSchema } from '../context-file.js';
import { patchMismatch, sandboxManifestSchema } from '../sandbox/manifest.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { readJsonFile } from '../util/json-file.js';

/**
 * What one panic's job hands to the ship job (one artifact per panic). Everything the PR needs is
 * here, so ship never has to trust anything but these files and the state store.
 */
export const ARTIFACT_FILES = {
  summary: 'artifact.json',
  context: 'panic_context.json',
  patch: 'changes.patch',
  manifest: 'sandbox-manifest.json',
  validation: 'validation.json',
  transcripts: 'transcripts',
  prBody: 'pr-body.md',
} as const;

export const validationStepSchema = z.object({
  name: z.string(),
  ok: z.boolean(),
  durationMs: z.number().nonnegative(),
  detail: z.string().optional(),
});
export type ValidationStep = z.infer<typeof validationStepSchema>;

export const phaseReportSchema = z.object({
  outcome: z.string(),
  attempts: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
  agentMs: z.number().nonnegative().optional(),
  excludedMs: z.number().nonnegative().optional(),
  turns: z.number().nonnegative().optional(),
  costUsd: z.number().nonnegative().optional(),
});
export type PhaseReport = z.infer<typeof phaseReportSchema>;

export const artifactSummarySchema = z.object({
  version: z.literal(1),
  panic_location: z.string().min(1),
  slug: z.string().min(1),
  branch: z.string().min(1),
  base_commit: z.string().regex(/^[0-9a-f]{40}$/),
  failing_seed: seedSchema,
  regression_test: z.object({ path: z.string().min(1), format: z.enum(['tcl', 'sqltest']) }),
  validation: z.array(validationStepSchema),
  phases: z.object({ reproducing: phaseReportSchema.optional(), fixing: phaseReportSchema.optional() }),
  backend: z.string(),
  run_url: z.string().optional(),
});
export type ArtifactSummary = z.infer<typeof artifactSummarySchema>;

export function artifactPath(dir: string, file: keyof typeof ARTIFACT_FILES): string {
  return path.join(dir, ARTIFACT_FILES[file]);
}

export async function writeArtifactSummary(dir: string, summary: ArtifactSummary): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(
    artifactPath(dir, 'summary'),
    `${JSON.stringify(artifactSummarySchema.parse(summary), null, 2)}\n`,
  );
}

export class ArtifactError extends Error {
  override name = 'ArtifactError';
}

/** One JSON file of the artifact, validated, with the problem worded for the artifact. */
async function readArtifactJson<S extends z.ZodType>(
  file: string,
  what: string,
  schema: S,
): Promise<z.output<S>> {
  const read = await readJsonFile(file, schema);
  if (read.ok) return read.data;
  const name = path.basename(file);
  if (read.problem === 'unreadable')
    throw new ArtifactError(`the artifact has no ${what} (${name}: ${read.code})`);
  if (read.problem === 'not-json')
    throw new ArtifactError(`the artifact's ${what} (${name}) is not valid JSON`);
  throw new ArtifactError(`the artifact's ${what} is invalid: ${read.message}`);
}

export interface LoadedArtifact {
  summary: ArtifactSummary;
  context: z.infer<typeof panicContextSchema>;
  patchFile: string;
  patchBytes: number;
}

/** Validates a downloaded artifact against the panic it claims to be for, and its patch against its manifest. */
export async function loadArtifact(dir: string, expectedLocation: string): Promise<LoadedArtifact> {
  const summary = await readArtifactJson(artifactPath(dir, 'summary'), 'summary', artifactSummarySchema);
  const context = await readArtifactJson(artifactPath(dir, 'context'), 'panic context', panicContextSchema);
  if (summary.panic_location !== expectedLocation || context.panic_location !== expectedLocation) {
    throw new ArtifactError('the artifact belongs to a different panic');
  }
  const patchFile = artifactPath(dir, 'patch');
  const patchBytes = await stat(patchFile).then(
    (s) => s.size,
    () => {
      throw new ArtifactError('the artifact has no patch (changes.patch)');
    },
  );
  if (patchBytes === 0) throw new ArtifactError('the artifact patch is empty: nothing to ship');
  // The patch must be, byte for byte, the one the fix job exported after validating it.
  const manifest = await readArtifactJson(
    artifactPath(dir, 'manifest'),
    'sandbox manifest',
    sandboxManifestSchema,
  );
  const mismatch = await patchMismatch(patchFile, patchBytes, manifest);
  if (mismatch) throw new ArtifactError(`the artifact patch is not the one exported: it ${mismatch}`);
  if (manifest.baseSha !== summary.base_commit)
    throw new ArtifactError(
      `the patch was exported against ${manifest.baseSha.slice(0, 12)} but the summary names base ${summary.base_commit.slice(0, 12)}`,
    );
  return { summary, context, patchFile, patchBytes };
}
