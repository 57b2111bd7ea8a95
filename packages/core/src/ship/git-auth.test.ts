import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startGitHttpServer, type GitHttpServer } from '../../../testkit/src/github-server/git-http.js';
import { git } from '../util/git.js';
import { applyPatchToBase, commitSquashed, pushBranch, remoteBranchSha } from './git-ops.js';
import { anyTip, makePatch, makeTestRepo, withLine, type TestRepo } from './test-repo.js';

const TOKEN = 'ghs_push_token_456';
let repo: TestRepo;
let server: GitHttpServer;

beforeEach(async () => {
  repo = await makeTestRepo();
  server = await startGitHttpServer({ projectRoot: repo.root, token: TOKEN });
});
afterEach(async () => {
  await server.close();
  await rm(repo.root, { recursive: true, force: true });
});

describe('pushing to an http remote with a token', () => {
  it('authenticates through the environment only, replacing a header persisted by actions/checkout', async () => {
    const remote = `${server.url}/origin.git`;
    // actions/checkout persists its own (here: stale) token like this; ours must replace it, not add to it.
    await git(repo.work, [
      'config',
      `http.${server.url}/.extraheader`,
      'AUTHORIZATION: basic c3RhbGU6c3RhbGU=',
    ]);

    await expect(remoteBranchSha(remote, 'main', { cwd: repo.work })).rejects.toThrow();
    expect(await remoteBranchSha(remote, 'main', { cwd: repo.work, token: TOKEN })).toBe(repo.base);

    const patch = await makePatch(repo, { 'a.rs': withLine(2, 'fixed') });
    const applied = await applyPatchToBase({ repoDir: repo.work, patchFile: patch, baseSha: repo.base });
    if (!applied.ok) throw new Error(applied.reason);
    const sha = await commitSquashed({
      repoDir: repo.work,
      tree: applied.tree,
      parent: applied.head,
      message: 'fix\n',
    });
    const result = await pushBranch({
      repoDir: repo.work,
      remote,
      branch: 'fix/panic-http',
      expectedRemoteSha: null,
      commit: sha,
      token: TOKEN,
      beforeReplacing: anyTip,
    });
    expect(result).toEqual({ sha, pushed: true, previousSha: null });
    expect(
      await git(repo.work, ['--git-dir', join(repo.root, 'origin.git'), 'rev-parse', 'fix/panic-http']),
    ).toBe(sha);

    const authed = server.requests.filter((r) => r.authorized);
    expect(authed.some((r) => r.path.endsWith('/git-receive-pack'))).toBe(true);
    // Never two Authorization headers at once, and the token never lands in the repo's config.
    expect(server.requests.every((r) => r.authorizationCount <= 1)).toBe(true);
    expect(await git(repo.work, ['config', '--list', '--show-origin'])).not.toContain(
      Buffer.from(`x-access-token:${TOKEN}`).toString('base64'),
    );
  });
});
