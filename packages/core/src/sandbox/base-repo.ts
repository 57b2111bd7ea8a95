import { lstat, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { hostGit } from './git.js';
import { assertCommitish } from './validate.js';

export interface BaseRepo {
  /** Real path of the repository's top level. */
  dir: string;
  /** Full SHA of the base commit. */
  sha: string;
}

/** Resolves the base repository and commit; both must exist. */
export async function resolveBaseRepo(baseRepo: string, baseSha: string): Promise<BaseRepo> {
  assertCommitish(baseSha);
  let dir: string;
  try {
    dir = await realpath(baseRepo);
  } catch (error) {
    throw new Error(`base repository ${baseRepo} does not exist (${(error as NodeJS.ErrnoException).code})`);
  }
  const top = (await hostGit(dir, ['rev-parse', '--show-toplevel'])).stdout.trim();
  if ((await realpath(top)) !== dir) {
    throw new Error(
      `base repository ${baseRepo} must be the top level of its git repository (that is ${top})`,
    );
  }
  let sha: string;
  try {
    sha = (await hostGit(dir, ['rev-parse', '--verify', '--quiet', `${baseSha}^{commit}`])).stdout.trim();
  } catch {
    throw new Error(`base commit ${baseSha} does not exist in ${dir}`);
  }
  return { dir, sha };
}

/**
 * Copy-on-write backends use the base's working tree itself as the lower layer, so it must be exactly
 * the base commit, with its own `.git` directory (a gitfile would send git's writes outside the
 * sandbox), owned by us (a user namespace maps only our uid: other users' files would be read-only).
 */
export async function assertBaseUsableAsLowerLayer(
  base: BaseRepo,
  backend: string,
  opts: { checkClean?: boolean } = {},
): Promise<void> {
  const head = (await hostGit(base.dir, ['rev-parse', '--verify', 'HEAD'])).stdout.trim();
  if (head !== base.sha) {
    throw new Error(
      `${backend} sandbox: base repository ${base.dir} is at ${head}, not at the base commit ${base.sha}`,
    );
  }
  // The one step that grows with the tree (it stats every tracked file): a caller that verified the
  // base once per job skips it, keeping creation constant-time.
  const status =
    opts.checkClean === false
      ? ''
      : (await hostGit(base.dir, ['status', '--porcelain=v1', '--untracked-files=normal'])).stdout;
  if (status.trim() !== '') {
    const first = status.split('\n').filter(Boolean).slice(0, 5).join('; ');
    throw new Error(`${backend} sandbox: base repository ${base.dir} has uncommitted changes (${first})`);
  }
  const gitDir = path.join(base.dir, '.git');
  const gitInfo = await lstat(gitDir);
  if (!gitInfo.isDirectory()) {
    throw new Error(
      `${backend} sandbox: ${gitDir} must be a directory (linked worktrees and submodules keep git's writes outside the sandbox)`,
    );
  }
  const uid = process.getuid?.();
  if (uid !== undefined) {
    for (const dir of [base.dir, gitDir]) {
      const owner = (await stat(dir)).uid;
      if (owner !== uid) {
        throw new Error(
          `${backend} sandbox: ${dir} is owned by uid ${owner} but the pipeline runs as uid ${uid}; inside the sandbox's user namespace it would be read-only (chown the base repository)`,
        );
      }
    }
  }
}
