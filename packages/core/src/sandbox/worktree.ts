import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { resolveBaseRepo, type BaseRepo } from './base-repo.js';
import { assertDirsExist, type WorktreeHandle } from './handle.js';
import { hostGit } from './git.js';
import { removeTree } from './remove-tree.js';
import { SandboxBase, type SandboxPaths } from './sandbox-base.js';
import type { WrapOptions, WrappedCommand } from './types.js';
import { normalizeSubdir } from './validate.js';

export const WORKTREE_NO_ISOLATION =
  'the worktree backend provides NO isolation: commands run unconfined and can write anywhere, including the base repository';

/** Fallback: a detached `git worktree` (a full checkout, so creation copies the tree). */
export class WorktreeSandbox extends SandboxBase {
  readonly backend = 'worktree' as const;
  readonly isolated = false;
  private readonly baseDir: string;

  private constructor(paths: SandboxPaths, baseDir: string) {
    super(paths);
    this.baseDir = baseDir;
  }

  static async create(base: BaseRepo, id: string, rootDir: string): Promise<WorktreeSandbox> {
    const repoDir = path.join(rootDir, 'repo');
    const scratchDir = path.join(rootDir, 'scratch');
    await removeWorktree(base.dir, rootDir, repoDir);
    await mkdir(scratchDir, { recursive: true });
    try {
      await hostGit(base.dir, ['worktree', 'add', '--detach', repoDir, base.sha], 30 * 60_000);
    } catch (error) {
      await removeWorktree(base.dir, rootDir, repoDir);
      throw error;
    }
    const createdAt = new Date().toISOString();
    return new WorktreeSandbox({ id, baseSha: base.sha, rootDir, repoDir, scratchDir, createdAt }, base.dir);
  }

  /** The same worktree, still registered with the base repository. */
  static async open(handle: WorktreeHandle): Promise<WorktreeSandbox> {
    const base = await resolveBaseRepo(handle.baseRepo, handle.baseSha);
    await assertDirsExist(handle, [handle.repoDir, handle.scratchDir]);
    const list = (await hostGit(base.dir, ['worktree', 'list', '--porcelain', '-z'])).stdout.split('\0');
    if (!list.includes(`worktree ${handle.repoDir}`)) {
      throw new Error(
        `cannot reopen worktree sandbox ${handle.id}: ${handle.repoDir} is not a worktree of ${base.dir}`,
      );
    }
    return new WorktreeSandbox(handle, base.dir);
  }

  handle(): WorktreeHandle {
    return { ...this.commonHandle(this.baseDir), backend: 'worktree' };
  }

  protected wrapArgv(argv: readonly string[], opts: WrapOptions): WrappedCommand {
    return {
      argv: [...argv],
      cwd: path.join(this.repoDir, normalizeSubdir(opts.subdir)),
      env: { ...(opts.env ?? process.env) },
    };
  }

  protected async removeAll(): Promise<void> {
    await removeWorktree(this.baseDir, this.rootDir, this.repoDir);
  }
}

async function removeWorktree(baseDir: string, rootDir: string, repoDir: string): Promise<void> {
  try {
    await hostGit(baseDir, ['worktree', 'remove', '--force', '--force', repoDir]);
  } catch {
    // not registered (never created, or already removed): the prune below drops stale entries
  }
  await removeTree(rootDir);
  await hostGit(baseDir, ['worktree', 'prune']);
}
