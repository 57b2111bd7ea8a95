import { stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../util/atomic-write.js';
import { readJsonFile, zodIssues } from '../util/json-file.js';
import { FULL_SHA_PATTERN, SANDBOX_ID_PATTERN } from './manifest.js';
import type { Sandbox } from './types.js';

const absolutePath = z
  .string()
  .min(1)
  .refine((p) => path.isAbsolute(p) && !p.includes('\0'), 'must be an absolute path');

const common = {
  version: z.literal(1),
  id: z.string().regex(SANDBOX_ID_PATTERN),
  /** The base repository (real path of its top level). */
  baseRepo: absolutePath,
  baseSha: z.string().regex(FULL_SHA_PATTERN, 'must be a full commit SHA'),
  /** `<workDir>/<id>`: every host dir the sandbox made is below it (agentfs' session dir excepted). */
  rootDir: absolutePath,
  repoDir: absolutePath,
  scratchDir: absolutePath,
  createdAt: z.iso.datetime(),
};

export const overlayHandleSchema = z
  .object({
    ...common,
    backend: z.literal('overlay'),
    overlay: z
      .object({ lower: absolutePath, upper: absolutePath, work: absolutePath, merged: absolutePath })
      .strict(),
  })
  .strict();

export const worktreeHandleSchema = z.object({ ...common, backend: z.literal('worktree') }).strict();

export const agentfsHandleSchema = z
  .object({
    ...common,
    backend: z.literal('agentfs'),
    agentfs: z
      .object({
        agentfsPath: z.string().min(1),
        sessionId: z.string().regex(SANDBOX_ID_PATTERN),
        home: absolutePath,
        allowPaths: z.array(absolutePath),
      })
      .strict(),
  })
  .strict();

/**
 * Everything needed to reattach to a live sandbox from another process (the reproduce and fix steps
 * of one job): the same upper dir, worktree or agentfs session.
 */
export const sandboxHandleSchema = z
  .discriminatedUnion('backend', [overlayHandleSchema, worktreeHandleSchema, agentfsHandleSchema])
  .superRefine((h, ctx) => {
    // destroy() deletes rootDir recursively: a handle is a file another process wrote, so its paths
    // must be exactly the layout create made, never an arbitrary directory.
    const expect = (field: string, actual: string, wanted: string) => {
      if (path.normalize(actual) !== wanted)
        ctx.addIssue({ code: 'custom', path: field.split('.'), message: `must be ${wanted}` });
    };
    if (path.basename(h.rootDir) !== h.id || path.normalize(h.rootDir) !== h.rootDir) {
      ctx.addIssue({ code: 'custom', path: ['rootDir'], message: 'must be a normalized <workDir>/<id>' });
    }
    expect('scratchDir', h.scratchDir, path.join(h.rootDir, 'scratch'));
    const rel = path.relative(h.rootDir, h.baseRepo);
    const rootInBase = !path.relative(h.baseRepo, h.rootDir).startsWith('..');
    if (rel === '' || !rel.startsWith('..') || rootInBase) {
      ctx.addIssue({
        code: 'custom',
        path: ['rootDir'],
        message: 'must not contain or lie inside the base repository',
      });
    }
    if (h.backend === 'overlay') {
      expect('overlay.lower', h.overlay.lower, h.baseRepo);
      for (const layer of ['upper', 'work', 'merged'] as const)
        expect(`overlay.${layer}`, h.overlay[layer], path.join(h.rootDir, layer));
      expect('repoDir', h.repoDir, path.join(h.rootDir, 'merged'));
    } else if (h.backend === 'worktree') {
      expect('repoDir', h.repoDir, path.join(h.rootDir, 'repo'));
    } else {
      expect('repoDir', h.repoDir, h.baseRepo);
      expect('agentfs.sessionId', h.agentfs.sessionId, h.id);
    }
  });
export type SandboxHandle = z.infer<typeof sandboxHandleSchema>;
export type OverlayHandle = z.infer<typeof overlayHandleSchema>;
export type WorktreeHandle = z.infer<typeof worktreeHandleSchema>;
export type AgentfsHandle = z.infer<typeof agentfsHandleSchema>;

export function parseSandboxHandle(value: unknown, source = 'sandbox handle'): SandboxHandle {
  const parsed = sandboxHandleSchema.safeParse(value);
  if (!parsed.success) throw new Error(`invalid ${source}: ${zodIssues(parsed.error)}`);
  return parsed.data;
}

export async function saveSandboxHandle(file: string, sandbox: Sandbox): Promise<SandboxHandle> {
  const handle = parseSandboxHandle(sandbox.handle());
  await writeFileAtomic(file, `${JSON.stringify(handle, null, 2)}\n`);
  return handle;
}

export async function loadSandboxHandle(file: string): Promise<SandboxHandle> {
  const read = await readJsonFile(file, sandboxHandleSchema);
  if (read.ok) return read.data;
  if (read.problem === 'invalid') throw new Error(`invalid sandbox handle ${file}: ${read.message}`);
  throw new Error(`cannot read sandbox handle ${file}: ${read.message}`);
}

/** Reattaching needs the dirs a live sandbox keeps; their absence means it was destroyed (or never made). */
export async function assertDirsExist(handle: SandboxHandle, dirs: readonly string[]): Promise<void> {
  for (const dir of dirs) {
    const isDir = await stat(dir).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDir)
      throw new Error(
        `cannot reopen ${handle.backend} sandbox ${handle.id}: ${dir} is gone (was the sandbox destroyed?)`,
      );
  }
}
