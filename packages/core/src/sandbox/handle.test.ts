import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { loadSandboxHandle, parseSandboxHandle, type SandboxHandle } from './handle.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'panic-fix-handle-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const root = '/w/panic-x-1';
const overlay: SandboxHandle = {
  version: 1,
  id: 'panic-x-1',
  backend: 'overlay',
  baseRepo: '/base',
  baseSha: 'a'.repeat(40),
  rootDir: root,
  repoDir: `${root}/merged`,
  scratchDir: `${root}/scratch`,
  createdAt: '2026-01-15T10:00:00.000Z',
  overlay: { lower: '/base', upper: `${root}/upper`, work: `${root}/work`, merged: `${root}/merged` },
};

describe('sandbox handles', () => {
  test('a handle in the layout create makes is accepted as is', () => {
    expect(parseSandboxHandle(overlay)).toEqual(overlay);
    const worktree = { ...overlay, backend: 'worktree', repoDir: `${root}/repo` } as Record<string, unknown>;
    delete worktree.overlay;
    expect(parseSandboxHandle(worktree).backend).toBe('worktree');
  });

  // destroy() removes rootDir recursively, so a handle pointing anywhere else must never load.
  test.each([
    ['rootDir: /', { rootDir: '/' }, /rootDir/],
    ['rootDir not named after the id', { rootDir: '/w/other', scratchDir: '/w/other/scratch' }, /rootDir/],
    ['rootDir with ..', { rootDir: '/w/x/../panic-x-1' }, /rootDir/],
    ['scratch elsewhere', { scratchDir: '/home/me' }, /scratchDir: must be \/w\/panic-x-1\/scratch/],
    ['upper elsewhere', { overlay: { ...overlay.overlay, upper: '/etc' } }, /overlay\.upper/],
    ['lower not the base', { overlay: { ...overlay.overlay, lower: '/' } }, /overlay\.lower/],
    [
      'root inside the base',
      { baseRepo: '/w', overlay: { ...overlay.overlay, lower: '/w' } },
      /base repository/,
    ],
    ['relative paths', { baseRepo: 'base' }, /absolute path/],
    ['short sha', { baseSha: 'abc1234' }, /full commit SHA/],
    ['unknown field', { extra: 1 }, /extra/],
  ] as const)('rejects %s', (_name, change, message) => {
    expect(() => parseSandboxHandle({ ...overlay, ...change })).toThrow(message);
  });

  test('loading reports the file and the reason', async () => {
    await expect(loadSandboxHandle(path.join(tmp, 'missing.json'))).rejects.toThrow(
      /cannot read sandbox handle .*missing\.json/,
    );
  });
});
