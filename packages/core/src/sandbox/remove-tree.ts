import { randomBytes } from 'node:crypto';
import { chmod, lstat, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * `rm -rf` that also copes with directories nobody may read: overlayfs leaves a mode-000 `work/work`
 * behind, and agents (or git) may chmod directories read-only. Missing paths are fine.
 */
export async function removeTree(target: string): Promise<void> {
  try {
    await rm(target, { recursive: true, force: true });
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'ENOTEMPTY') throw error;
  }
  await makeDirsWritable(target);
  await rm(target, { recursive: true, force: true });
}

async function makeDirsWritable(dir: string): Promise<void> {
  let info;
  try {
    info = await lstat(dir);
  } catch {
    return;
  }
  if (!info.isDirectory()) return;
  await chmod(dir, 0o700);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) await makeDirsWritable(path.join(dir, entry.name));
  }
}

/** Prefix of trees moved aside for deletion (dot-named: never taken for a sandbox). */
export const REMOVING_PREFIX = '.panic-fix-removing-';

const pendingRemovals = new Set<Promise<void>>();
/** Trees this process is deleting right now (not leftovers). */
const beingRemoved = new Set<string>();
/** Deletions that failed since the last `settleRemovals()`, with why. */
let failedRemovals: string[] = [];

function removeInBackground(tree: string): void {
  beingRemoved.add(tree);
  const removal: Promise<void> = removeTree(tree)
    .catch((error: unknown) => {
      failedRemovals.push(`${tree}: ${(error as Error).message}`);
    })
    .finally(() => {
      pendingRemovals.delete(removal);
      beingRemoved.delete(tree);
    });
  pendingRemovals.add(removal);
}

/**
 * Moves `target` aside at once (a rename in the same directory) and deletes it in the background: a
 * sandbox's build outputs can take seconds to delete, and the panic should not wait for them.
 * `settleRemovals()` waits for every deletion started; one a crash interrupted is finished by
 * `removeLeftoverTrees` later. Falls back to deleting in place when the rename is refused.
 */
export async function removeTreeInBackground(target: string): Promise<void> {
  const aside = path.join(
    path.dirname(target),
    `${REMOVING_PREFIX}${path.basename(target)}-${randomBytes(4).toString('hex')}`,
  );
  beingRemoved.add(aside); // before the rename: a concurrent sweep must not take it for a leftover
  try {
    await rename(target, aside);
  } catch (error) {
    beingRemoved.delete(aside);
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    await removeTree(target);
    return;
  }
  removeInBackground(aside);
}

/**
 * Waits until every background deletion started so far has ended; each one that failed is passed to
 * `warn` (as "could not delete a finished sandbox: <path>: <reason>") and returned.
 */
export async function settleRemovals(warn: (message: string) => void = () => undefined): Promise<string[]> {
  while (pendingRemovals.size > 0) await Promise.all([...pendingRemovals]);
  const failed = failedRemovals;
  failedRemovals = [];
  for (const failure of failed) warn(`could not delete a finished sandbox: ${failure}`);
  return failed;
}

/** Starts deleting, in the background, trees a crashed process had moved aside in `dir`. */
export async function removeLeftoverTrees(dir: string): Promise<void> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const entry of entries) {
    const tree = path.join(dir, entry);
    if (entry.startsWith(REMOVING_PREFIX) && !beingRemoved.has(tree)) removeInBackground(tree);
  }
}
