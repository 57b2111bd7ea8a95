import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { git } from '../util/git.js';
import { commitMessage } from './commit-message.js';
import {
  applyPatchToBase,
  commitSquashed,
  fetchBranch,
  gitAuthEnv,
  pushBranch,
  PushRejectedError,
  remoteBranchSha,
} from './git-ops.js';
import { LINES, makePatch, makeTestRepo, moveMain, withLine, type TestRepo } from './test-repo.js';

let repo: TestRepo;
beforeEach(async () => {
  repo = await makeTestRepo();
});
afterEach(async () => {
  await rm(repo.root, { recursive: true, force: true });
});

describe('applyPatchToBase', () => {
  it('applies cleanly on the base commit, binary files included, into the index', async () => {
    const patch = await makePatch(repo, {
      'a.rs': withLine(10, 'fixed line 10'),
      'data.bin': Buffer.from([9, 0, 8, 0, 7, 255]),
      'new.rs': 'fn new() {}\n',
    });
    const result = await applyPatchToBase({
      repoDir: repo.work,
      patchFile: patch,
      baseSha: repo.base,
      branch: 'fix/x',
    });
    expect(result).toEqual({ ok: true, applied: 'clean', head: repo.base });
    expect(await readFile(join(repo.work, 'a.rs'), 'utf8')).toBe(withLine(10, 'fixed line 10'));
    expect([...(await readFile(join(repo.work, 'data.bin')))]).toEqual([9, 0, 8, 0, 7, 255]);
    expect((await git(repo.work, ['diff', '--cached', '--name-only'])).split('\n')).toEqual([
      'a.rs',
      'data.bin',
      'new.rs',
    ]);
    expect(await git(repo.work, ['rev-parse', '--abbrev-ref', 'HEAD'])).toBe('fix/x');
  });

  it('falls back to a 3-way merge when main moved next to the patched lines', async () => {
    const patch = await makePatch(repo, { 'a.rs': withLine(10, 'fixed line 10') });
    // Line 8 is inside the patch's context, so a plain apply fails; the changes do not overlap.
    const moved = await moveMain(repo, { 'a.rs': withLine(8, 'upstream line 8') });
    const result = await applyPatchToBase({
      repoDir: repo.work,
      patchFile: patch,
      baseSha: repo.base,
      ontoRef: 'main',
    });
    expect(result).toEqual({ ok: true, applied: '3way', head: moved });
    const expected = [...LINES];
    expected[7] = 'upstream line 8';
    expected[9] = 'fixed line 10';
    expect(await readFile(join(repo.work, 'a.rs'), 'utf8')).toBe(expected.join('\n') + '\n');
  });

  it('reports a conflict with the file and leaves the checkout clean', async () => {
    const patch = await makePatch(repo, { 'a.rs': withLine(10, 'our fix') });
    const moved = await moveMain(repo, { 'a.rs': withLine(10, 'their change') });
    const result = await applyPatchToBase({
      repoDir: repo.work,
      patchFile: patch,
      baseSha: repo.base,
      ontoRef: 'main',
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.conflictingFiles).toEqual(['a.rs']);
    expect(result.reason).toContain('a.rs');
    expect(await git(repo.work, ['status', '--porcelain'])).toBe('');
    expect(await git(repo.work, ['rev-parse', 'HEAD'])).toBe(moved);
  });

  it('reports a file the patch creates that main has meanwhile created differently', async () => {
    const patch = await makePatch(repo, { 'new.rs': 'ours\n', 'a.rs': withLine(1, 'x') });
    await git(repo.work, ['checkout', '-q', 'main']);
    await writeFile(join(repo.work, 'new.rs'), 'theirs\n');
    await git(repo.work, ['add', 'new.rs']);
    await git(repo.work, ['commit', '-q', '-m', 'upstream adds new.rs']);
    const result = await applyPatchToBase({
      repoDir: repo.work,
      patchFile: patch,
      baseSha: repo.base,
      ontoRef: 'main',
    });
    expect(result).toMatchObject({ ok: false, conflictingFiles: ['new.rs'] });
    expect(await git(repo.work, ['status', '--porcelain'])).toBe('');
  });

  it('refuses a dirty checkout and reports a missing base commit', async () => {
    const patch = await makePatch(repo, { 'a.rs': withLine(1, 'x') });
    const missing = await applyPatchToBase({ repoDir: repo.work, patchFile: patch, baseSha: 'f'.repeat(40) });
    expect(missing).toMatchObject({ ok: false, reason: expect.stringContaining('not found') });
    await writeFile(join(repo.work, 'a.rs'), 'dirty\n');
    await expect(
      applyPatchToBase({ repoDir: repo.work, patchFile: patch, baseSha: repo.base }),
    ).rejects.toThrow(/uncommitted changes/);
  });
});

describe('commitSquashed', () => {
  it('keeps the message verbatim: comment lines, trailer-like data, unicode', async () => {
    const message = commitMessage({
      location: 'core/vdbe/execute.rs:12:5',
      message: '# not a comment\nassertion `left == right` failed\u0000',
      rootCause: 'Signed-off-by: Mallory <m@example.com>\nCo-authored-by: Eve <e@example.com>',
      fix: 'Check the cursor — ünïcödé 🦀 $(rm -rf /)',
      failingSeed: '18446744073709551615',
      slug: 'core-vdbe-execute-rs-12',
    });
    const patch = await makePatch(repo, { 'a.rs': withLine(3, 'fix') });
    await applyPatchToBase({ repoDir: repo.work, patchFile: patch, baseSha: repo.base });
    const sha = await commitSquashed({
      repoDir: repo.work,
      message,
      author: { name: 'Bot', email: 'bot@example.com' },
    });
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    const stored = await git(repo.work, ['cat-file', 'commit', sha]);
    expect(stored.slice(stored.indexOf('\n\n') + 2)).toBe(message.trimEnd());
    expect(await git(repo.work, ['log', '-1', '--format=%an <%ae>'])).toBe('Bot <bot@example.com>');
    // Only our own final paragraph is parsed as trailers.
    const trailers = await git(repo.work, ['log', '-1', '--format=%(trailers:only,unfold)']);
    expect(trailers.split('\n')).toEqual([
      'Panic-fix-slug: core-vdbe-execute-rs-12',
      'Panic-fix-seed: 18446744073709551615',
    ]);
  });

  it('refuses to make an empty commit', async () => {
    await expect(commitSquashed({ repoDir: repo.work, message: 'x' })).rejects.toThrow(/nothing staged/);
  });
});

describe('pushBranch / remoteBranchSha', () => {
  async function commitFix(text: string, message = `fix ${text}\n`): Promise<string> {
    await git(repo.work, ['checkout', '-q', '--detach', repo.base]);
    const patch = await makePatch(repo, { 'a.rs': withLine(5, text) });
    await applyPatchToBase({ repoDir: repo.work, patchFile: patch, baseSha: repo.base });
    return commitSquashed({ repoDir: repo.work, message });
  }

  it('pushes once; a re-run with an identical tree is a no-op and leaves one branch', async () => {
    expect(await remoteBranchSha(repo.origin, 'fix/panic-a', { cwd: repo.work })).toBeNull();
    const first = await commitFix('fixed');
    const pushed = await pushBranch({
      repoDir: repo.work,
      remote: repo.origin,
      branch: 'fix/panic-a',
      expectedRemoteSha: null,
    });
    expect(pushed).toEqual({ sha: first, pushed: true, previousSha: null });
    expect(await remoteBranchSha(repo.origin, 'fix/panic-a')).toBe(first);

    // Same commit again: nothing to do.
    expect(await pushBranch({ repoDir: repo.work, remote: repo.origin, branch: 'fix/panic-a' })).toEqual({
      sha: first,
      pushed: false,
      previousSha: first,
    });
    // A re-run after a crash recreates the commit (new sha, same tree) and still expects no branch.
    const again = await commitFix('fixed', 'fix fixed (re-run)\n');
    expect(again).not.toBe(first);
    const rerun = await pushBranch({
      repoDir: repo.work,
      remote: repo.origin,
      branch: 'fix/panic-a',
      expectedRemoteSha: null,
    });
    expect(rerun).toEqual({ sha: first, pushed: false, previousSha: first });
    const heads = (await git(repo.work, ['ls-remote', '--heads', repo.origin])).split('\n');
    expect(heads.map((l) => l.split('\t')[1])).toEqual(['refs/heads/fix/panic-a', 'refs/heads/main']);
  });

  it('updates the branch under a matching lease and rejects when the remote moved unexpectedly', async () => {
    const first = await commitFix('v1');
    await pushBranch({
      repoDir: repo.work,
      remote: repo.origin,
      branch: 'fix/panic-b',
      expectedRemoteSha: null,
    });
    const second = await commitFix('v2');
    const updated = await pushBranch({
      repoDir: repo.work,
      remote: repo.origin,
      branch: 'fix/panic-b',
      expectedRemoteSha: first,
    });
    expect(updated).toEqual({ sha: second, pushed: true, previousSha: first });

    // Someone else pushes to the branch meanwhile.
    const other = join(repo.root, 'other');
    await git(repo.root, ['clone', '-q', '-b', 'fix/panic-b', repo.origin, other]);
    await writeFile(join(other, 'a.rs'), 'human edit\n');
    await git(other, ['-c', 'user.name=H', '-c', 'user.email=h@example.com', 'commit', '-q', '-am', 'human']);
    await git(other, ['push', '-q', 'origin', 'fix/panic-b']);
    const humanSha = await git(other, ['rev-parse', 'HEAD']);

    await commitFix('v3');
    await expect(
      pushBranch({
        repoDir: repo.work,
        remote: repo.origin,
        branch: 'fix/panic-b',
        expectedRemoteSha: second,
      }),
    ).rejects.toBeInstanceOf(PushRejectedError);
    await expect(
      pushBranch({ repoDir: repo.work, remote: repo.origin, branch: 'fix/panic-b', expectedRemoteSha: null }),
    ).rejects.toBeInstanceOf(PushRejectedError);
    expect(await remoteBranchSha(repo.origin, 'fix/panic-b')).toBe(humanSha);
  });

  it('looks up and fetches remote branches (object form as well)', async () => {
    expect(await remoteBranchSha({ remote: repo.origin, branch: 'main', cwd: repo.work })).toBe(repo.base);
    expect(await remoteBranchSha({ remote: repo.origin, branch: 'nope' })).toBeNull();
    const moved = await moveMain(repo, { 'a.rs': withLine(1, 'upstream') });
    await git(repo.work, ['push', '-q', 'origin', 'main']);
    await git(repo.work, ['checkout', '-q', '--detach', repo.base]);
    expect(await fetchBranch({ repoDir: repo.work, remote: repo.origin, branch: 'main' })).toBe(moved);
    await expect(fetchBranch({ repoDir: repo.work, remote: repo.origin, branch: 'nope' })).rejects.toThrow();
  });

  it('rejects option-like and invalid names', async () => {
    await expect(pushBranch({ repoDir: repo.work, remote: '--upload-pack=x', branch: 'b' })).rejects.toThrow(
      /must not start/,
    );
    await expect(
      pushBranch({ repoDir: repo.work, remote: repo.origin, branch: 'bad..name' }),
    ).rejects.toThrow(/invalid branch/);
  });

  it('puts the token only in a URL-scoped extraheader environment entry, for http(s) remotes', () => {
    const env = gitAuthEnv('https://github.com/tursodatabase/turso.git', 'ghs_abc');
    expect(env).toEqual({
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_0: 'http.https://github.com/.extraheader',
      GIT_CONFIG_VALUE_0: '',
      GIT_CONFIG_KEY_1: 'http.https://github.com/.extraheader',
      GIT_CONFIG_VALUE_1: `AUTHORIZATION: basic ${Buffer.from('x-access-token:ghs_abc').toString('base64')}`,
    });
    expect(gitAuthEnv('/tmp/origin.git', 'ghs_abc')).toEqual({});
    expect(gitAuthEnv('https://github.com/x/y', undefined)).toEqual({});
  });
});
