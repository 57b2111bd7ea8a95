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
export const REMOVING_PREFIX = '.removing-';

const pendingRemovals = new Set<Promise<void>>();
/** Trees this process is deleting right now (not leftovers). */
const beingRemoved = new Set<string>();

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
  try {
    await rename(target, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    await removeTree(target);
    return;
  }
  beingRemoved.add(aside);
  const removal: Promise<void> = removeTree(aside)
    .catch(() => undefined) // left for removeLeftoverTrees
    .finally(() => {
      pendingRemovals.delete(removal);
      beingRemoved.delete(aside);
    });
  pendingRemovals.add(removal);
}

/** Waits until every background deletion started so far has ended. */
export async function settleRemovals(): Promise<void> {
  while (pendingRemovals.size > 0) await Promise.all([...pendingRemovals]);
}

/** Deletes trees a crashed process had moved aside in `dir` but not finished deleting (best effort). */
export async function removeLeftoverTrees(dir: string): Promise<void> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  for (const entry of entries) {
    const tree = path.join(dir, entry);
    if (entry.startsWith(REMOVING_PREFIX) && !beingRemoved.has(tree))
      await removeTree(tree).catch(() => undefined);
  }
}
