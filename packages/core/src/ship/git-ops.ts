import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { git, runGit as runGitCommand } from '../util/git.js';
import type { RunCommandResult } from '../util/run-command.js';

/**
 * Git operations of the ship step. Everything is argv (no shell); tokens travel in the environment as
 * an http.extraheader config entry, never in argv or in a remote URL.
 */

const GIT_TIMEOUT_MS = 5 * 60_000;

// LC_ALL=C: messages are parsed (conflicts, rejected pushes) and must not be translated.
function runGit(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunCommandResult> {
  return runGitCommand(cwd, args, { env: { ...env, LC_ALL: 'C' }, timeoutMs: GIT_TIMEOUT_MS });
}

function gitOk(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return git(cwd, args, { env: { ...env, LC_ALL: 'C' }, timeoutMs: GIT_TIMEOUT_MS });
}

function assertNotOption(value: string, what: string): void {
  if (value.startsWith('-')) throw new Error(`${what} must not start with '-': ${value}`);
}

async function assertBranchName(cwd: string, branch: string): Promise<void> {
  assertNotOption(branch, 'branch');
  const r = await runGit(cwd, ['check-ref-format', `refs/heads/${branch}`]);
  if (r.exitCode !== 0) throw new Error(`invalid branch name: ${JSON.stringify(branch)}`);
}

/**
 * Environment that makes git send `AUTHORIZATION: basic base64(x-access-token:TOKEN)` to an http(s)
 * remote. The URL-scoped key has the same specificity as the one actions/checkout persists, and the
 * empty first value resets any header configured before, so git never sends two Authorization headers.
 */
export function gitAuthEnv(remote: string, token: string | undefined): Record<string, string> {
  if (!token || !/^https?:\/\//i.test(remote)) return {};
  const key = `http.${new URL(remote).origin}/.extraheader`;
  const basic = Buffer.from(`x-access-token:${token}`, 'utf8').toString('base64');
  return {
    GIT_CONFIG_COUNT: '2',
    GIT_CONFIG_KEY_0: key,
    GIT_CONFIG_VALUE_0: '',
    GIT_CONFIG_KEY_1: key,
    GIT_CONFIG_VALUE_1: `AUTHORIZATION: basic ${basic}`,
  };
}

export type ApplyResult =
  | { ok: true; applied: 'clean' | '3way'; head: string; tree: string }
  | { ok: false; reason: string; conflictingFiles: string[] };

export interface ApplyPatchOptions {
  repoDir: string;
  /** A patch made by `git diff --binary <base>` (binary hunks included). */
  patchFile: string;
  /** The commit the patch was made against; its blobs make the 3-way fallback possible. */
  baseSha: string;
  /** Where to apply (e.g. `origin/main` when main has moved); defaults to baseSha. */
  ontoRef?: string;
}

const FULL_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

/**
 * The full object names of `<rev>^{type}`, null where one does not resolve. One rev-parse for all of
 * them; when that fails or prints something else (a missing rev, a range `a..b`, `^rev`), each is asked
 * on its own with --verify, which decides (`^rev` still prints `^<sha>` there: not an answer either).
 */
async function peel(
  cwd: string,
  revs: Array<[rev: string, type: 'commit' | 'tree']>,
): Promise<Array<string | null>> {
  const specs = revs.map(([rev, type]) => `${rev}^{${type}}`);
  const all = await runGit(cwd, ['rev-parse', ...specs, '--']);
  const lines = all.stdoutTail.split('\n').filter(Boolean);
  const shas = lines.slice(0, -1);
  if (
    all.exitCode === 0 &&
    lines.length === specs.length + 1 &&
    lines.at(-1) === '--' &&
    shas.every((sha) => FULL_SHA.test(sha))
  )
    return shas;
  return Promise.all(
    specs.map(async (spec) => {
      const one = await runGit(cwd, ['rev-parse', '--verify', '--quiet', spec]);
      const sha = one.stdoutTail.trim();
      return one.exitCode === 0 && FULL_SHA.test(sha) ? sha : null;
    }),
  );
}

/**
 * Applies the patch on ontoRef's tree in a private index: cleanly when it applies as is, else with a
 * 3-way merge against baseSha's blobs, and writes the result as a tree. Nothing is checked out: the
 * repo's HEAD, index and work tree are neither read nor written (a `--no-checkout` clone will do), so
 * it costs O(patch) plus one index of the tree. A conflict reports the files involved.
 */
export async function applyPatchToBase(opts: ApplyPatchOptions): Promise<ApplyResult> {
  const { repoDir, patchFile } = opts;
  assertNotOption(opts.baseSha, 'baseSha');
  const ontoRef = opts.ontoRef ?? opts.baseSha;
  assertNotOption(ontoRef, 'ontoRef');
  const [base, onto] = await peel(repoDir, [
    [opts.baseSha, 'commit'],
    [ontoRef, 'commit'],
  ]);
  if (!base) return { ok: false, reason: `base commit ${opts.baseSha} not found`, conflictingFiles: [] };
  if (!onto) return { ok: false, reason: `ref ${ontoRef} not found`, conflictingFiles: [] };
  if ((await stat(patchFile)).size === 0)
    return { ok: false, reason: 'the patch is empty', conflictingFiles: [] };

  const dir = await mkdtemp(join(tmpdir(), 'panic-fix-index-'));
  try {
    const env = { GIT_INDEX_FILE: resolve(dir, 'index') };
    await gitOk(repoDir, ['read-tree', onto], env);
    // git apply is all or nothing, so a failed plain apply leaves the index as read-tree made it.
    let applied: 'clean' | '3way' = 'clean';
    let merged = await runGit(repoDir, ['apply', '--cached', patchFile], env);
    if (merged.exitCode !== 0) {
      applied = '3way';
      merged = await runGit(repoDir, ['apply', '--cached', '--3way', patchFile], env);
    }
    // write-tree refuses unmerged entries, so a tree here means no conflict was left.
    const tree = merged.exitCode === 0 ? await runGit(repoDir, ['write-tree'], env) : undefined;
    if (tree?.exitCode === 0) return { ok: true, applied, head: onto, tree: tree.stdoutTail.trim() };
    const errors = `${merged.stderrTail}\n${tree?.stderrTail ?? ''}`.trim();

    const unmerged = (await gitOk(repoDir, ['ls-files', '-u', '-z'], env))
      .split('\0')
      .filter(Boolean)
      .map((entry) => entry.slice(entry.indexOf('\t') + 1));
    // Files git names in "patch failed"/"does not exist"/"already exists" errors, besides unmerged ones.
    const mentioned = [...errors.matchAll(/^error: (?:patch failed: )?([^:\n]+?)(?::\d+)?: /gm)].map(
      (m) => m[1]!,
    );
    const conflictingFiles = [...new Set([...unmerged, ...mentioned])].sort();
    return {
      ok: false,
      conflictingFiles,
      reason:
        `the patch does not apply on ${ontoRef} (${onto.slice(0, 12)}), even 3-way from ${opts.baseSha.slice(0, 12)}: ` +
        `conflicts in ${conflictingFiles.join(', ') || '(unknown files)'}\n${errors.slice(-2000)}`,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface CommitOptions {
  repoDir: string;
  /** The tree to commit (applyPatchToBase's `tree`). */
  tree: string;
  /** Its one parent (applyPatchToBase's `head`). */
  parent: string;
  message: string;
  /** Author and committer; defaults to the repo's configured identity, else a panic-fix bot identity. */
  author?: { name: string; email: string };
}

const BOT_IDENTITY = { name: 'panic-fix', email: 'panic-fix@users.noreply.github.com' };

/**
 * Makes one commit of `tree` on `parent` with the message taken verbatim from a file; returns its sha.
 * Only the object is written: no ref, not even HEAD, moves (push it with pushBranch's `commit`).
 */
export async function commitSquashed(opts: CommitOptions): Promise<string> {
  assertNotOption(opts.tree, 'tree');
  assertNotOption(opts.parent, 'parent');
  const [parent, parentTree, tree] = await peel(opts.repoDir, [
    [opts.parent, 'commit'],
    [opts.parent, 'tree'],
    [opts.tree, 'tree'],
  ]);
  if (!parent || !parentTree) throw new Error(`commitSquashed: parent ${opts.parent} not found`);
  if (!tree) throw new Error(`commitSquashed: tree ${opts.tree} not found`);
  if (tree === parentTree) throw new Error('commitSquashed: nothing staged to commit');
  let identity = opts.author;
  if (!identity) {
    const email = await runGit(opts.repoDir, ['config', 'user.email']);
    if (email.exitCode !== 0 || !email.stdoutTail.trim()) identity = BOT_IDENTITY;
  }
  const env = identity
    ? {
        GIT_AUTHOR_NAME: identity.name,
        GIT_AUTHOR_EMAIL: identity.email,
        GIT_COMMITTER_NAME: identity.name,
        GIT_COMMITTER_EMAIL: identity.email,
      }
    : {};
  const dir = await mkdtemp(join(tmpdir(), 'panic-fix-commit-'));
  try {
    const file = join(dir, 'message.txt');
    // NUL cannot be stored in a commit message; everything else is kept as given (commit-tree runs no
    // cleanup and no hooks).
    await writeFile(file, opts.message.replace(/\0/g, ''), 'utf8');
    return await gitOk(opts.repoDir, ['commit-tree', tree, '-p', parent, '-F', file], env);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface RemoteBranchQuery {
  remote: string;
  branch: string;
  cwd?: string;
  token?: string;
}

/** The sha `branch` points at on `remote`, or null when the branch does not exist there. */
export async function remoteBranchSha(query: RemoteBranchQuery): Promise<string | null>;
export async function remoteBranchSha(
  remote: string,
  branch: string,
  opts?: { cwd?: string; token?: string },
): Promise<string | null>;
export async function remoteBranchSha(
  remoteOrQuery: string | RemoteBranchQuery,
  branchArg?: string,
  opts: { cwd?: string; token?: string } = {},
): Promise<string | null> {
  const q: RemoteBranchQuery =
    typeof remoteOrQuery === 'string'
      ? { remote: remoteOrQuery, branch: branchArg ?? '', ...opts }
      : remoteOrQuery;
  assertNotOption(q.remote, 'remote');
  const ref = `refs/heads/${q.branch}`;
  const out = await gitOk(
    q.cwd ?? process.cwd(),
    ['ls-remote', '--heads', q.remote, ref],
    gitAuthEnv(q.remote, q.token),
  );
  for (const line of out.split('\n')) {
    const [sha, name] = line.split('\t');
    if (name === ref && sha) return sha;
  }
  return null;
}

/** Fetches `branch` from `remote` (a URL or path; token via the environment) and returns its sha. */
export async function fetchBranch(opts: {
  repoDir: string;
  remote: string;
  branch: string;
  token?: string;
}): Promise<string> {
  assertNotOption(opts.remote, 'remote');
  await assertBranchName(opts.repoDir, opts.branch);
  await gitOk(
    opts.repoDir,
    ['fetch', '-q', '--no-tags', opts.remote, `refs/heads/${opts.branch}`],
    gitAuthEnv(opts.remote, opts.token),
  );
  return gitOk(opts.repoDir, ['rev-parse', '--verify', 'FETCH_HEAD^{commit}']);
}

export class PushRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PushRejectedError';
  }
}

export interface PushOptions {
  repoDir: string;
  /** URL or path of the remote (not a configured remote name is fine too). */
  remote: string;
  branch: string;
  /**
   * The sha the branch must have on the remote for the push to go ahead (null: must not exist).
   * Undefined: the sha observed just before pushing — never overwrite what we have not looked at.
   */
  expectedRemoteSha?: string | null;
  /** The commit to push, as a full sha (commitSquashed's); HEAD when absent. */
  commit?: string;
  /**
   * Called with the branch's current tip (fetched, so its objects are here) before anything is decided
   * about replacing it; throw to refuse. Not called when the branch does not exist. Required, so no
   * caller replaces a tip it has not looked at (ship refuses tips panic-fix did not make).
   */
  beforeReplacing: (tip: string) => Promise<void>;
  token?: string;
}

export interface PushResult {
  /** What the remote branch points at afterwards. */
  sha: string;
  /** False when the remote already had HEAD or a commit with the same tree (a re-run). */
  pushed: boolean;
  previousSha: string | null;
}

/**
 * Pushes `commit` (default HEAD) to refs/heads/<branch> with --force-with-lease; a no-op when the
 * remote has the same tree.
 */
export async function pushBranch(opts: PushOptions): Promise<PushResult> {
  const { repoDir, remote, branch } = opts;
  assertNotOption(remote, 'remote');
  if (opts.commit !== undefined && !FULL_SHA.test(opts.commit))
    throw new Error(`commit must be a full sha: ${JSON.stringify(opts.commit)}`);
  await assertBranchName(repoDir, branch);
  const env = gitAuthEnv(remote, opts.token);
  const head = opts.commit ?? (await gitOk(repoDir, ['rev-parse', 'HEAD']));
  const before = await remoteBranchSha(remote, branch, { cwd: repoDir, token: opts.token });

  if (before === head) return { sha: head, pushed: false, previousSha: before };
  if (before !== null) {
    await gitOk(repoDir, ['fetch', '-q', '--no-tags', remote, `refs/heads/${branch}`], env);
    await opts.beforeReplacing(before);
    // Same content already pushed (e.g. a re-run after a crash made an identical commit with a new date).
    const [remoteTree, headTree] = (
      await gitOk(repoDir, ['rev-parse', `${before}^{tree}`, `${head}^{tree}`, '--'])
    ).split('\n');
    if (remoteTree === headTree) return { sha: before, pushed: false, previousSha: before };
  }

  const expected = opts.expectedRemoteSha === undefined ? before : opts.expectedRemoteSha;
  if (expected !== null) assertNotOption(expected, 'expectedRemoteSha');
  const result = await runGit(
    repoDir,
    [
      'push',
      '--porcelain',
      '--no-verify',
      `--force-with-lease=refs/heads/${branch}:${expected ?? ''}`,
      remote,
      `${head}:refs/heads/${branch}`,
    ],
    env,
  );
  if (result.exitCode !== 0) {
    const text = `${result.stdoutTail}\n${result.stderrTail}`.trim();
    const rejected = /stale info|rejected|\[remote rejected\]|\(fetch first\)/.test(text);
    const message = `push of ${branch} failed${rejected ? ' (the remote branch moved: lease rejected)' : ''}: ${text.slice(-2000)}`;
    throw rejected ? new PushRejectedError(message) : new Error(message);
  }
  return { sha: head, pushed: true, previousSha: before };
}
