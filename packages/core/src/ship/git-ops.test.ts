import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
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
  type ApplyResult,
} from './git-ops.js';
import { LINES, anyTip, makePatch, makeTestRepo, moveMain, withLine, type TestRepo } from './test-repo.js';

const SHA = expect.stringMatching(/^[0-9a-f]{40}$/);

let repo: TestRepo;
beforeEach(async () => {
  repo = await makeTestRepo();
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(repo.root, { recursive: true, force: true });
});

/** A file's bytes in a tree (or commit) of repo.work. */
function blob(treeish: string, path: string): Buffer {
  return execFileSync('git', ['cat-file', 'blob', `${treeish}:${path}`], { cwd: repo.work });
}

/** What a checkout shows: HEAD (symbolic and resolved), status, the work tree's files and a.rs. */
async function checkoutState(dir: string) {
  return {
    head: await git(dir, ['rev-parse', '--symbolic-full-name', 'HEAD', 'HEAD']),
    status: await git(dir, ['status', '--porcelain']),
    files: (await readdir(dir)).sort(),
    aRs: existsSync(join(dir, 'a.rs')) ? await readFile(join(dir, 'a.rs'), 'utf8') : null,
  };
}

function applied(result: ApplyResult): { head: string; tree: string } {
  if (!result.ok) throw new Error(result.reason);
  return result;
}

describe('applyPatchToBase', () => {
  it('applies cleanly on the base commit, binary files included, into a tree; the checkout is untouched', async () => {
    const patch = await makePatch(repo, {
      'a.rs': withLine(10, 'fixed line 10'),
      'data.bin': Buffer.from([9, 0, 8, 0, 7, 255]),
      'new.rs': 'fn new() {}\n',
    });
    const before = await checkoutState(repo.work);
    const result = await applyPatchToBase({ repoDir: repo.work, patchFile: patch, baseSha: repo.base });
    expect(result).toEqual({ ok: true, applied: 'clean', head: repo.base, tree: SHA });
    const { tree } = applied(result);
    expect(blob(tree, 'a.rs').toString()).toBe(withLine(10, 'fixed line 10'));
    expect([...blob(tree, 'data.bin')]).toEqual([9, 0, 8, 0, 7, 255]);
    expect((await git(repo.work, ['diff-tree', '-r', '--name-only', repo.base, tree])).split('\n')).toEqual([
      'a.rs',
      'data.bin',
      'new.rs',
    ]);
    expect(await checkoutState(repo.work)).toEqual(before);
  });

  it("never reads or writes the repo's own index or work tree: local changes stay and stay out", async () => {
    const patch = await makePatch(repo, { 'a.rs': withLine(1, 'x') });
    await writeFile(join(repo.work, 'a.rs'), 'dirty\n');
    await writeFile(join(repo.work, 'staged.rs'), 'staged\n');
    await git(repo.work, ['add', 'staged.rs']);
    const before = await checkoutState(repo.work);
    const { tree } = applied(
      await applyPatchToBase({ repoDir: repo.work, patchFile: patch, baseSha: repo.base }),
    );
    expect(blob(tree, 'a.rs').toString()).toBe(withLine(1, 'x'));
    expect(await git(repo.work, ['ls-tree', '--name-only', tree])).toBe('a.rs\ndata.bin');
    expect(await checkoutState(repo.work)).toEqual(before);
    expect(before.status).toMatch(/^ ?M a\.rs\nA {2}staged\.rs$/);
  });

  it('works in a --no-checkout clone: applied 3-way, committed and pushed, the work tree stays empty', async () => {
    const patch = await makePatch(repo, { 'a.rs': withLine(10, 'fixed line 10') });
    const moved = await moveMain(repo, { 'a.rs': withLine(8, 'upstream line 8') });
    await git(repo.work, ['push', '-q', 'origin', 'main']);
    const clone = join(repo.root, 'ship');
    await git(repo.root, ['clone', '-q', '--no-checkout', repo.origin, clone]);
    const headRef = await git(clone, ['symbolic-ref', 'HEAD']);

    const result = await applyPatchToBase({
      repoDir: clone,
      patchFile: patch,
      baseSha: repo.base,
      ontoRef: moved,
    });
    expect(result).toEqual({ ok: true, applied: '3way', head: moved, tree: SHA });
    const { head, tree } = applied(result);
    const sha = await commitSquashed({ repoDir: clone, tree, parent: head, message: 'fix\n' });
    expect(
      await pushBranch({
        repoDir: clone,
        remote: repo.origin,
        branch: 'fix/clone',
        commit: sha,
        beforeReplacing: anyTip,
      }),
    ).toEqual({
      sha,
      pushed: true,
      previousSha: null,
    });

    expect(await readdir(clone)).toEqual(['.git']);
    expect(existsSync(join(clone, '.git', 'index'))).toBe(false);
    expect(await git(clone, ['symbolic-ref', 'HEAD'])).toBe(headRef);
    expect(await git(clone, ['rev-parse', 'HEAD'])).toBe(moved);
    expect(await git(clone, ['rev-parse', `${sha}^`])).toBe(moved);
    const expected = [...LINES];
    expected[7] = 'upstream line 8';
    expected[9] = 'fixed line 10';
    expect(await git(repo.work, ['--git-dir', repo.origin, 'show', 'fix/clone:a.rs'])).toBe(
      expected.join('\n'),
    );
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
    expect(result).toEqual({ ok: true, applied: '3way', head: moved, tree: SHA });
    const expected = [...LINES];
    expected[7] = 'upstream line 8';
    expected[9] = 'fixed line 10';
    expect(blob(applied(result).tree, 'a.rs').toString()).toBe(expected.join('\n') + '\n');
    expect(await readFile(join(repo.work, 'a.rs'), 'utf8')).toBe(withLine(8, 'upstream line 8'));
  });

  it('reports a conflict with the file and leaves the checkout as it was', async () => {
    const patch = await makePatch(repo, { 'a.rs': withLine(10, 'our fix') });
    const moved = await moveMain(repo, { 'a.rs': withLine(10, 'their change') });
    const before = await checkoutState(repo.work);
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
    expect(result.reason).toContain(`does not apply on main (${moved.slice(0, 12)})`);
    expect(await checkoutState(repo.work)).toEqual(before);
    expect(before.status).toBe('');
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

  it('reports a missing base commit, a missing or range ref and an empty patch; refuses options', async () => {
    const patch = await makePatch(repo, { 'a.rs': withLine(1, 'x') });
    const missing = 'f'.repeat(40);
    expect(await applyPatchToBase({ repoDir: repo.work, patchFile: patch, baseSha: missing })).toEqual({
      ok: false,
      reason: `base commit ${missing} not found`,
      conflictingFiles: [],
    });
    for (const ontoRef of ['nope', 'main..main', `^${repo.base}`])
      expect(
        await applyPatchToBase({ repoDir: repo.work, patchFile: patch, baseSha: repo.base, ontoRef }),
      ).toEqual({ ok: false, reason: `ref ${ontoRef} not found`, conflictingFiles: [] });
    const empty = join(repo.root, 'empty.diff');
    await writeFile(empty, '');
    expect(await applyPatchToBase({ repoDir: repo.work, patchFile: empty, baseSha: repo.base })).toEqual({
      ok: false,
      reason: 'the patch is empty',
      conflictingFiles: [],
    });
    await expect(
      applyPatchToBase({ repoDir: repo.work, patchFile: patch, baseSha: '--all' }),
    ).rejects.toThrow(/must not start/);
    await expect(
      applyPatchToBase({ repoDir: repo.work, patchFile: patch, baseSha: repo.base, ontoRef: '-q' }),
    ).rejects.toThrow(/must not start/);
  });
});

describe('commitSquashed', () => {
  async function fixTree(line = 3): Promise<string> {
    const patch = await makePatch(repo, { 'a.rs': withLine(line, 'fix') });
    return applied(await applyPatchToBase({ repoDir: repo.work, patchFile: patch, baseSha: repo.base })).tree;
  }

  it('keeps the message verbatim: comment lines, trailer-like data, unicode', async () => {
    const message = commitMessage({
      location: 'core/vdbe/execute.rs:12:5',
      message: '# not a comment\nassertion `left == right` failed\u0000',
      rootCause: 'Signed-off-by: Mallory <m@example.com>\nCo-authored-by: Eve <e@example.com>',
      fix: 'Check the cursor — ünïcödé 🦀 $(rm -rf /)',
      failingSeed: '18446744073709551615',
      slug: 'core-vdbe-execute-rs-12',
    });
    const tree = await fixTree();
    const sha = await commitSquashed({
      repoDir: repo.work,
      tree,
      parent: repo.base,
      message,
      author: { name: 'Bot', email: 'bot@example.com' },
    });
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    const stored = execFileSync('git', ['cat-file', 'commit', sha], { cwd: repo.work, encoding: 'utf8' });
    expect(stored.slice(stored.indexOf('\n\n') + 2)).toBe(message);
    expect(await git(repo.work, ['log', '-1', '--format=%an <%ae>|%cn <%ce>|%P|%T', sha])).toBe(
      `Bot <bot@example.com>|Bot <bot@example.com>|${repo.base}|${tree}`,
    );
    // Only our own final paragraph is parsed as trailers.
    const trailers = await git(repo.work, ['log', '-1', '--format=%(trailers:only,unfold)', sha]);
    expect(trailers.split('\n')).toEqual([
      'Panic-fix-slug: core-vdbe-execute-rs-12',
      'Panic-fix-seed: 18446744073709551615',
    ]);
    // Only the object is made: no ref moves.
    expect(await git(repo.work, ['rev-parse', 'HEAD'])).toBe(repo.base);
    expect(await git(repo.work, ['for-each-ref', '--contains', sha])).toBe('');
  });

  it("commits as the repo's configured identity, else as the panic-fix bot", async () => {
    for (const name of ['NAME', 'EMAIL'])
      for (const who of ['AUTHOR', 'COMMITTER']) vi.stubEnv(`GIT_${who}_${name}`, undefined);
    const tree = await fixTree();
    const configured = await commitSquashed({ repoDir: repo.work, tree, parent: repo.base, message: 'x\n' });
    expect(await git(repo.work, ['log', '-1', '--format=%an <%ae>|%cn <%ce>', configured])).toBe(
      'Test <test@example.com>|Test <test@example.com>',
    );

    await git(repo.work, ['config', '--unset', 'user.email']);
    vi.stubEnv('GIT_CONFIG_GLOBAL', '/dev/null');
    vi.stubEnv('GIT_CONFIG_NOSYSTEM', '1');
    const bot = await commitSquashed({ repoDir: repo.work, tree, parent: repo.base, message: 'x\n' });
    expect(await git(repo.work, ['log', '-1', '--format=%an <%ae>|%cn <%ce>', bot])).toBe(
      'panic-fix <panic-fix@users.noreply.github.com>|panic-fix <panic-fix@users.noreply.github.com>',
    );
  });

  it('refuses to make an empty commit, also when 3-way finds the fix already upstream', async () => {
    const baseTree = await git(repo.work, ['rev-parse', `${repo.base}^{tree}`]);
    await expect(
      commitSquashed({ repoDir: repo.work, tree: baseTree, parent: repo.base, message: 'x' }),
    ).rejects.toThrow(/nothing staged/);

    const patch = await makePatch(repo, { 'a.rs': withLine(10, 'fixed line 10') });
    const moved = await moveMain(repo, { 'a.rs': withLine(10, 'fixed line 10') });
    const result = applied(
      await applyPatchToBase({ repoDir: repo.work, patchFile: patch, baseSha: repo.base, ontoRef: moved }),
    );
    await expect(
      commitSquashed({ repoDir: repo.work, tree: result.tree, parent: result.head, message: 'x' }),
    ).rejects.toThrow(/nothing staged/);
  });

  it('refuses a missing parent or tree', async () => {
    const tree = await fixTree();
    await expect(
      commitSquashed({ repoDir: repo.work, tree, parent: 'f'.repeat(40), message: 'x' }),
    ).rejects.toThrow(/parent f+ not found/);
    await expect(
      commitSquashed({
        repoDir: repo.work,
        tree: repo.base.replace(/./, 'x'),
        parent: repo.base,
        message: 'x',
      }),
    ).rejects.toThrow(/not found/);
    await expect(
      commitSquashed({ repoDir: repo.work, tree: '-p', parent: repo.base, message: 'x' }),
    ).rejects.toThrow(/must not start/);
  });
});

describe('pushBranch / remoteBranchSha', () => {
  async function commitFix(text: string, message = `fix ${text}\n`): Promise<string> {
    const patch = await makePatch(repo, { 'a.rs': withLine(5, text) });
    const { head, tree } = applied(
      await applyPatchToBase({ repoDir: repo.work, patchFile: patch, baseSha: repo.base }),
    );
    return commitSquashed({ repoDir: repo.work, tree, parent: head, message });
  }

  it('pushes once; a re-run with an identical tree is a no-op and leaves one branch', async () => {
    expect(await remoteBranchSha(repo.origin, 'fix/panic-a', { cwd: repo.work })).toBeNull();
    const first = await commitFix('fixed');
    const pushed = await pushBranch({
      repoDir: repo.work,
      remote: repo.origin,
      branch: 'fix/panic-a',
      expectedRemoteSha: null,
      commit: first,
      beforeReplacing: anyTip,
    });
    expect(pushed).toEqual({ sha: first, pushed: true, previousSha: null });
    expect(await remoteBranchSha(repo.origin, 'fix/panic-a')).toBe(first);

    // Same commit again: nothing to do.
    expect(
      await pushBranch({
        repoDir: repo.work,
        remote: repo.origin,
        branch: 'fix/panic-a',
        commit: first,
        beforeReplacing: anyTip,
      }),
    ).toEqual({
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
      commit: again,
      beforeReplacing: anyTip,
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
      commit: first,
      beforeReplacing: anyTip,
    });
    const second = await commitFix('v2');
    const updated = await pushBranch({
      repoDir: repo.work,
      remote: repo.origin,
      branch: 'fix/panic-b',
      expectedRemoteSha: first,
      commit: second,
      beforeReplacing: anyTip,
    });
    expect(updated).toEqual({ sha: second, pushed: true, previousSha: first });

    // Someone else pushes to the branch meanwhile.
    const other = join(repo.root, 'other');
    await git(repo.root, ['clone', '-q', '-b', 'fix/panic-b', repo.origin, other]);
    await writeFile(join(other, 'a.rs'), 'human edit\n');
    await git(other, ['-c', 'user.name=H', '-c', 'user.email=h@example.com', 'commit', '-q', '-am', 'human']);
    await git(other, ['push', '-q', 'origin', 'fix/panic-b']);
    const humanSha = await git(other, ['rev-parse', 'HEAD']);

    const third = await commitFix('v3');
    await expect(
      pushBranch({
        repoDir: repo.work,
        remote: repo.origin,
        branch: 'fix/panic-b',
        expectedRemoteSha: second,
        commit: third,
        beforeReplacing: anyTip,
      }),
    ).rejects.toBeInstanceOf(PushRejectedError);
    await expect(
      pushBranch({
        repoDir: repo.work,
        remote: repo.origin,
        branch: 'fix/panic-b',
        expectedRemoteSha: null,
        commit: third,
        beforeReplacing: anyTip,
      }),
    ).rejects.toBeInstanceOf(PushRejectedError);
    expect(await remoteBranchSha(repo.origin, 'fix/panic-b')).toBe(humanSha);
  });

  it('asks beforeReplacing about an existing tip (fetched) and keeps the branch when it refuses', async () => {
    const seen: string[] = [];
    const check = async (tip: string) => {
      seen.push(tip);
      // The tip's objects are here: the caller can read its message.
      if (!(await git(repo.work, ['log', '-1', '--format=%B', tip])).includes('ours'))
        throw new Error('not ours');
    };
    const push = (commit: string) =>
      pushBranch({
        repoDir: repo.work,
        remote: repo.origin,
        branch: 'fix/guarded',
        commit,
        beforeReplacing: check,
      });
    const first = await commitFix('guarded v1', 'ours\n');
    await push(first);
    expect(seen).toEqual([]); // no branch yet: nothing to ask about
    const second = await commitFix('guarded v2', 'theirs\n');
    await push(second);
    expect(seen).toEqual([first]);
    await expect(push(await commitFix('guarded v3'))).rejects.toThrow('not ours');
    expect(seen).toEqual([first, second]);
    expect(await remoteBranchSha(repo.origin, 'fix/guarded')).toBe(second);
  });

  it('pushes HEAD when no commit is given', async () => {
    const moved = await moveMain(repo, { 'a.rs': withLine(2, 'on main') });
    expect(
      await pushBranch({
        repoDir: repo.work,
        remote: repo.origin,
        branch: 'fix/head',
        beforeReplacing: anyTip,
      }),
    ).toEqual({
      sha: moved,
      pushed: true,
      previousSha: null,
    });
    expect(await remoteBranchSha(repo.origin, 'fix/head')).toBe(moved);
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

  it('rejects option-like and invalid names, and a commit that is not a full sha', async () => {
    await expect(
      pushBranch({ repoDir: repo.work, remote: '--upload-pack=x', branch: 'b', beforeReplacing: anyTip }),
    ).rejects.toThrow(/must not start/);
    await expect(
      pushBranch({ repoDir: repo.work, remote: repo.origin, branch: 'bad..name', beforeReplacing: anyTip }),
    ).rejects.toThrow(/invalid branch/);
    for (const commit of ['HEAD', repo.base.slice(0, 12), `--force`])
      await expect(
        pushBranch({ repoDir: repo.work, remote: repo.origin, branch: 'b', commit, beforeReplacing: anyTip }),
      ).rejects.toThrow(/full sha/);
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
