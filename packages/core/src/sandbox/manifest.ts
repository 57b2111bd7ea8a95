import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { readJsonFile } from '../util/json-file.js';

export const PATCH_FILE_NAME = 'changes.patch';
export const MANIFEST_FILE_NAME = 'manifest.json';

export const SANDBOX_ID_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;
export const FULL_SHA_PATTERN = /^[0-9a-f]{40}$/;

export const changedFileSchema = z
  .object({
    /** git's name-status letter (renames are exported as a deletion plus an addition). */
    status: z.enum(['A', 'M', 'D', 'T']),
    path: z.string().min(1),
  })
  .strict();
export type ChangedFile = z.infer<typeof changedFileSchema>;

/** `manifest.json` next to `changes.patch`: what the ship job needs to trust and apply the patch. */
export const sandboxManifestSchema = z
  .object({
    version: z.literal(1),
    sandboxId: z.string().regex(SANDBOX_ID_PATTERN),
    backend: z.enum(['agentfs', 'overlay', 'worktree']),
    baseSha: z.string().regex(FULL_SHA_PATTERN, 'must be a full commit SHA'),
    patchFile: z.literal(PATCH_FILE_NAME),
    patchBytes: z.number().int().min(0),
    patchSha256: z.string().regex(/^[0-9a-f]{64}$/),
    filesChanged: z.number().int().min(0),
    files: z.array(changedFileSchema),
    /** When the sandbox was created (the same across exports of one sandbox, also after reattaching). */
    createdAt: z.iso.datetime(),
    exportedAt: z.iso.datetime(),
  })
  .strict()
  .refine((m) => m.filesChanged === m.files.length, { message: 'filesChanged must equal files.length' })
  .refine((m) => (m.patchBytes === 0) === (m.files.length === 0), {
    message: 'an empty patch must list no files, and listed files need a non-empty patch',
  });
export type SandboxManifest = z.infer<typeof sandboxManifestSchema>;

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Why the patch (of `size` bytes) is not the one the manifest describes, or undefined when it is. */
export async function patchMismatch(
  patchFile: string,
  size: number,
  manifest: SandboxManifest,
): Promise<string | undefined> {
  if (size !== manifest.patchBytes) return `has ${size} bytes but the manifest says ${manifest.patchBytes}`;
  if ((await sha256File(patchFile)) !== manifest.patchSha256) return "does not match the manifest's SHA-256";
  return undefined;
}

/**
 * Reads an exported `manifest.json` + `changes.patch` pair (e.g. a downloaded artifact), validates the
 * manifest and checks the patch is the one it describes (size and SHA-256).
 */
export async function loadExportedChanges(
  dir: string,
): Promise<{ patchFile: string; manifestFile: string; manifest: SandboxManifest }> {
  const manifestFile = path.join(dir, MANIFEST_FILE_NAME);
  const patchFile = path.join(dir, PATCH_FILE_NAME);
  const read = await readJsonFile(manifestFile, sandboxManifestSchema);
  if (!read.ok && read.problem === 'invalid')
    throw new Error(`invalid sandbox manifest ${manifestFile}: ${read.message}`);
  if (!read.ok) throw new Error(`cannot read sandbox manifest ${manifestFile}: ${read.message}`);
  const manifest = read.data;
  let size: number;
  try {
    size = (await stat(patchFile)).size;
  } catch (error) {
    throw new Error(`cannot read patch ${patchFile}: ${(error as NodeJS.ErrnoException).code ?? error}`);
  }
  const mismatch = await patchMismatch(patchFile, size, manifest);
  if (mismatch) throw new Error(`patch ${patchFile} ${mismatch}`);
  return { patchFile, manifestFile, manifest };
}
