import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { sandboxSchema } from '../config/schema.js';
import { createSandbox } from './create.js';
import { detectBackend, findExecutable, probeAgentfs } from './detect.js';
import { git, makeBaseRepo } from './test-support.js';

const tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'panic-fix-detect-')));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const workDir = path.join(tmp, 'work');
const base = makeBaseRepo(path.join(tmp, 'base'));

describe('detectBackend', () => {
  test('a configured backend is used as is, without probing', async () => {
    const overlay = await detectBackend(sandboxSchema.parse({ backend: 'overlay' }), { workDir });
    expect(overlay).toEqual({
      backend: 'overlay',
      isolated: true,
      reason: 'configured (sandbox.backend = overlay)',
      probes: [],
    });
    const worktree = await detectBackend(sandboxSchema.parse({ backend: 'worktree' }), { workDir });
    expect(worktree.isolated).toBe(false);
    expect(worktree.reason).toMatch(/NO isolation/);
  });

  test('auto skips an agentfs that is not installed, says so, and picks overlay', async () => {
    const detection = await detectBackend(
      sandboxSchema.parse({ agentfsPath: path.join(tmp, 'missing-agentfs') }),
      { workDir },
    );
    expect(detection.backend).toBe('overlay');
    expect(detection.isolated).toBe(true);
    expect(detection.reason).toContain(
      `agentfs unavailable: ${path.join(tmp, 'missing-agentfs')} not found on PATH`,
    );
    expect(detection.probes.map((p) => [p.backend, p.available])).toEqual([
      ['agentfs', false],
      ['overlay', true],
    ]);
  });

  test('an agentfs whose session probe fails is skipped with its output in the reason', async () => {
    const fake = path.join(tmp, 'bin', 'agentfs');
    mkdirSync(path.dirname(fake), { recursive: true });
    // Stands in for an agentfs on a host without FUSE: exits 1 with agentfs's own error text.
    writeFileSync(fake, '#!/bin/sh\necho "Error: FUSE mount did not become ready within 10s" >&2\nexit 1\n');
    chmodSync(fake, 0o755);
    const probe = await probeAgentfs(fake, { workDir, home: path.join(tmp, 'home') });
    expect(probe.available).toBe(false);
    expect(probe.detail).toMatch(
      /run --session panic-fix-probe-[0-9a-f]+ -- true` failed \(exit code 1: Error: FUSE mount did not become ready/,
    );
  });

  test('auto falls back to a worktree, flagged as unisolated, when overlay cannot be used', async () => {
    // Overlay mount options cannot carry ':' in a path, so this work dir rules overlay out.
    const detection = await detectBackend(sandboxSchema.parse({ agentfsPath: 'no-such-agentfs-binary' }), {
      workDir: path.join(tmp, 'work:colon'),
    });
    expect(detection.backend).toBe('worktree');
    expect(detection.isolated).toBe(false);
    expect(detection.reason).toMatch(/NO isolation/);
    expect(detection.reason).toMatch(/overlay unavailable: .*contains ','/);
  });

  test('findExecutable searches PATH without a shell', async () => {
    expect(await findExecutable('git')).toMatch(/\/git$/);
    expect(await findExecutable('definitely-not-a-program-xyz')).toBeUndefined();
    expect(await findExecutable('sh', '/nonexistent:/bin')).toBe('/bin/sh');
  });
});

describe('createSandbox rejects bad input clearly', () => {
  const overlay = sandboxSchema.parse({ backend: 'overlay' });
  const quiet = { log: () => undefined };
  const opts = { baseRepo: base.dir, baseSha: base.sha, workDir, ...quiet };

  test('ids, commits and work dirs', async () => {
    await expect(createSandbox(overlay, { ...opts, id: '../escape' })).rejects.toThrow(/invalid sandbox id/);
    await expect(createSandbox(overlay, { ...opts, id: 'ok', baseSha: '--output=/tmp/x' })).rejects.toThrow(
      /invalid base commit/,
    );
    await expect(createSandbox(overlay, { ...opts, id: 'ok', baseSha: 'deadbeef' })).rejects.toThrow(
      /does not exist/,
    );
    await expect(
      createSandbox(overlay, { ...opts, id: 'ok', workDir: path.join(base.dir, 'sandboxes') }),
    ).rejects.toThrow(/must not contain each other/);
    await expect(
      createSandbox(sandboxSchema.parse({ backend: 'overlay' }), { ...opts, workDir: undefined, id: 'ok' }),
    ).rejects.toThrow(/no work directory/);
    await expect(
      createSandbox(overlay, { ...opts, baseRepo: path.join(base.dir, 'src'), id: 'ok' }),
    ).rejects.toThrow(/must be the top level/);
  });

  test('overlay refuses paths its mount options cannot express', async () => {
    await expect(
      createSandbox(overlay, { ...opts, workDir: path.join(tmp, 'a,b'), id: 'ok' }),
    ).rejects.toThrow(/contains ',', ':'/);
  });

  test('overlay refuses a dirty base, a base at another commit, and a base whose .git is a file', async () => {
    const repo = makeBaseRepo(path.join(tmp, 'moving'));
    const o = { ...opts, baseRepo: repo.dir, baseSha: repo.sha, id: 'ok' };
    writeFileSync(path.join(repo.dir, 'untracked.txt'), 'x');
    await expect(createSandbox(overlay, o)).rejects.toThrow(/uncommitted changes \(\?\? untracked.txt\)/);
    // A caller that verified the base (once per job) skips the O(tree) status: its word is taken.
    const vouched = await createSandbox(overlay, { ...o, baseVerifiedClean: true });
    await vouched.destroy();
    rmSync(path.join(repo.dir, 'untracked.txt'));
    git(repo.dir, 'commit', '-q', '--allow-empty', '-m', 'next');
    await expect(createSandbox(overlay, o)).rejects.toThrow(/not at the base commit/);
    await expect(createSandbox(overlay, { ...o, baseVerifiedClean: true })).rejects.toThrow(
      /not at the base commit/,
    );

    const linked = path.join(tmp, 'linked');
    git(repo.dir, 'worktree', 'add', '-q', '--detach', linked, repo.sha);
    await expect(createSandbox(overlay, { ...o, baseRepo: linked })).rejects.toThrow(
      /\.git must be a directory/,
    );
  });

  test('the worktree fallback says it provides no isolation', async () => {
    const lines: string[] = [];
    const sandbox = await createSandbox(sandboxSchema.parse({ backend: 'worktree' }), {
      ...opts,
      id: 'wt-warn',
      log: (line) => lines.push(line),
    });
    expect(sandbox.isolated).toBe(false);
    expect(lines.join('\n')).toMatch(/WARNING: the worktree backend provides NO isolation/);
    await sandbox.destroy();
  });
});
