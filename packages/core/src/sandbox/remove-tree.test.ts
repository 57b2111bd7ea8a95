import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  REMOVING_PREFIX,
  removeLeftoverTrees,
  removeTreeInBackground,
  settleRemovals,
} from './remove-tree.js';

const tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'panic-fix-remove-')));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A tree with many files and a directory nobody may read (as overlayfs leaves `work/work`). */
function makeTree(dir: string): void {
  mkdirSync(path.join(dir, 'upper', 'target'), { recursive: true });
  for (let i = 0; i < 200; i++) writeFileSync(path.join(dir, 'upper', 'target', `f${i}`), 'x'.repeat(1000));
  mkdirSync(path.join(dir, 'work', 'work'), { recursive: true });
  chmodSync(path.join(dir, 'work', 'work'), 0o000);
}

describe('removeTreeInBackground', () => {
  it('moves the tree aside at once and deletes it by the time removals settle', async () => {
    const parent = path.join(tmp, 'bg');
    makeTree(path.join(parent, 'sandbox-a'));
    writeFileSync(path.join(parent, 'keep.json'), '{}');
    await removeTreeInBackground(path.join(parent, 'sandbox-a'));
    expect(existsSync(path.join(parent, 'sandbox-a'))).toBe(false);
    await settleRemovals();
    expect(readdirSync(parent)).toEqual(['keep.json']);
  });

  it('is a no-op for a missing tree', async () => {
    await removeTreeInBackground(path.join(tmp, 'never-made'));
    await settleRemovals();
    expect(existsSync(path.join(tmp, 'never-made'))).toBe(false);
  });

  it('removeLeftoverTrees finishes what a crashed process moved aside, and nothing else', async () => {
    const parent = path.join(tmp, 'leftovers');
    makeTree(path.join(parent, `${REMOVING_PREFIX}sandbox-b-0a1b2c3d`));
    makeTree(path.join(parent, 'sandbox-c'));
    await removeLeftoverTrees(parent);
    expect(await settleRemovals()).toEqual([]);
    expect(readdirSync(parent)).toEqual(['sandbox-c']);
  });

  it('a sweep running while this process deletes a tree leaves that deletion alone', async () => {
    const parent = path.join(tmp, 'concurrent');
    makeTree(path.join(parent, 'sandbox-d'));
    const removing = removeTreeInBackground(path.join(parent, 'sandbox-d'));
    await removeLeftoverTrees(parent); // sees the tree mid-rename or mid-deletion: starts no second deletion
    await removing;
    expect(await settleRemovals()).toEqual([]);
    expect(readdirSync(parent)).toEqual([]);
  });
});
