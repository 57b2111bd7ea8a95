import { copyFile, mkdir, mkdtemp, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { targetEnv } from '../agent/env.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { describeExit } from '../util/run-command.js';
import { PIPELINE_GIT_CONFIG, pipelineGitEnv, withGitConfig } from './git.js';
import {
  MANIFEST_FILE_NAME,
  PATCH_FILE_NAME,
  changedFileSchema,
  sandboxManifestSchema,
  sha256File,
  type ChangedFile,
} from './manifest.js';
import { removeTree } from './remove-tree.js';
import type { ExportedChanges, Sandbox } from './types.js';

/**
 * Repo-relative paths the pipeline's tools may write inside the tree; never part of a fix. The scratch
 * dir is outside the repository by design, these are the defensive second line.
 */
export const EXPORT_EXCLUDES = ['.bugbase', 'simulator.log', 'simulator-output', 'target'] as const;

export const EXPORT_PATHSPEC = ['.', ...EXPORT_EXCLUDES.map((p) => `:(top,exclude,literal)${p}`)];

const EXPORT_STEP_TIMEOUT_MS = 15 * 60_000;

/** Options that make the patch byte-for-byte what `git apply` expects, whatever the repository's config says. */
const PATCH_FORMAT_OPTIONS = [
  '--binary',
  '--full-index',
  '--no-renames',
  '--no-color',
  '--no-ext-diff',
  '--no-textconv',
  '--no-relative',
  '--unified=3',
  '--src-prefix=a/',
  '--dst-prefix=b/',
];

export function parseNameStatus(raw: Buffer): ChangedFile[] {
  const fields = raw.toString('utf8').split('\0');
  if (fields.at(-1) === '') fields.pop();
  if (fields.length % 2 !== 0) throw new Error('unexpected `git diff --name-status -z` output');
  const files: ChangedFile[] = [];
  for (let i = 0; i < fields.length; i += 2) {
    const parsed = changedFileSchema.safeParse({ status: fields[i], path: fields[i + 1] });
    if (!parsed.success)
      throw new Error(`unexpected change ${JSON.stringify(fields[i])} for ${JSON.stringify(fields[i + 1])}`);
    files.push(parsed.data);
  }
  return files;
}

/**
 * Stages everything in the sandbox into a private index and writes the staged difference to baseSha:
 * the name-status list, and the binary patch when a patch path is given. One sandboxed command.
 *
 * The index is copied first (keeps git's stat cache, so unchanged files are not re-read — re-reading
 * would copy every file up under agentfs); the agent's own index is never touched, so exporting
 * mid-job leaves `git diff`/`git status` inside the sandbox as the agent left them. `cp -p` keeps
 * the index's mtime: git's racy-entry check compares file mtimes with it, and a fresh mtime would make
 * a same-size edit in the same second as the last index write look unchanged.
 *
 * The exclusions go in as ignore rules for `git add`, not pathspecs: it refuses an exclude pathspec
 * naming an ignored path (Turso ignores target/), and ignored dirs are not even walked. Ignore rules
 * do not cover tracked files, so the diffs filter with the pathspec again.
 *
 * Fixed text: $1 private index, $2 excludes file, $3 names file, $4 patch file or '', $5 base sha,
 * then the pathspec. Git's options come in through GIT_CONFIG_* (see `exportEnv`).
 */
export const EXPORT_SCRIPT = [
  'index=$1 excludes=$2 names=$3 patch=$4 base=$5; shift 5',
  'fail() { echo "$1 failed" >&2; exit 1; }',
  'src=$(git rev-parse --git-path index) || fail "locating the index"',
  'if [ -e "$src" ]; then cp -p -- "$src" "$index" || fail "copying the index"; fi',
  'export GIT_INDEX_FILE="$index"',
  'git -c "core.excludesFile=$excludes" add --all -- . || fail "git add"',
  'git diff --cached --name-status -z --no-renames --no-relative --output="$names" "$base" -- "$@" || fail "git diff --name-status"',
  `[ -z "$patch" ] || git diff --cached ${PATCH_FORMAT_OPTIONS.join(' ')} --output="$patch" "$base" -- "$@" || fail "git diff"`,
].join('\n');

/** Our git settings for the script, as GIT_CONFIG_* entries instead of `-c` flags. */
function exportEnv(): NodeJS.ProcessEnv {
  // Runs in the agent's repository (its .git/config, .gitattributes): never with the runner's secrets.
  // HOME is left to the backend (agentfs pins it per sandbox); our git needs no global config.
  const env = pipelineGitEnv(targetEnv());
  delete env.HOME;
  return withGitConfig(env, PIPELINE_GIT_CONFIG);
}

interface Staged {
  files: ChangedFile[];
  /** Where the patch was written (inside `work`), when one was asked for. */
  patchTmp?: string;
  work: string;
}

async function stageAndDiff(sandbox: Sandbox, withPatch: boolean): Promise<Staged> {
  await mkdir(sandbox.scratchDir, { recursive: true });
  const work = await mkdtemp(path.join(sandbox.scratchDir, '.export-'));
  try {
    const excludesFile = path.join(work, 'excludes');
    await writeFile(excludesFile, EXPORT_EXCLUDES.map((p) => `/${p}\n`).join(''));
    const namesFile = path.join(work, 'names');
    const patchTmp = withPatch ? path.join(work, PATCH_FILE_NAME) : '';
    const argv = [
      'sh',
      '-c',
      EXPORT_SCRIPT,
      'export-changes',
      path.join(work, 'index'),
      excludesFile,
      namesFile,
      patchTmp,
      sandbox.baseSha,
      ...EXPORT_PATHSPEC,
    ];
    const result = await sandbox.run(argv, {
      env: exportEnv(),
      timeoutMs: EXPORT_STEP_TIMEOUT_MS,
      tailBytes: 64 * 1024,
    });
    if (result.exitCode !== 0) {
      const stderr = result.stderrTail.trim();
      throw new Error(
        `exporting sandbox ${sandbox.id} failed (${describeExit(result)})${stderr ? `: ${stderr}` : ''}`,
      );
    }
    const files = parseNameStatus(await readFile(namesFile));
    return { files, work, ...(withPatch ? { patchTmp } : {}) };
  } catch (error) {
    await removeTree(work);
    throw error;
  }
}

/** Every file the sandbox changed against baseSha, as the patch would carry it (pipeline scratch excluded). */
export async function changedFiles(sandbox: Sandbox): Promise<ChangedFile[]> {
  const { files, work } = await stageAndDiff(sandbox, false);
  await removeTree(work);
  return files;
}

/** Repo-relative paths changed against baseSha (a rename lists both names); e.g. to check a phase stayed in its paths. */
export async function changedPaths(sandbox: Sandbox): Promise<string[]> {
  return (await changedFiles(sandbox)).map((f) => f.path);
}

/**
 * Stages everything inside the sandbox (into a private index) and writes the staged difference to
 * baseSha as a binary patch. Git writes straight into the scratch dir (`--output`), so a large patch
 * never passes through memory.
 */
export async function exportSandboxChanges(sandbox: Sandbox, outDir: string): Promise<ExportedChanges> {
  const { files, work, patchTmp } = await stageAndDiff(sandbox, true);
  try {
    await mkdir(outDir, { recursive: true });
    const patchFile = path.join(outDir, PATCH_FILE_NAME);
    const manifestFile = path.join(outDir, MANIFEST_FILE_NAME);
    // The scratch copy is deleted below: move it (copy only across filesystems).
    await rename(patchTmp!, patchFile).catch(() => copyFile(patchTmp!, patchFile));
    const manifest = sandboxManifestSchema.parse({
      version: 1,
      sandboxId: sandbox.id,
      backend: sandbox.backend,
      baseSha: sandbox.baseSha,
      patchFile: PATCH_FILE_NAME,
      patchBytes: (await stat(patchFile)).size,
      patchSha256: await sha256File(patchFile),
      filesChanged: files.length,
      files,
      createdAt: sandbox.createdAt,
      exportedAt: new Date().toISOString(),
    });
    await writeFileAtomic(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
    return { patchFile, manifestFile, manifest };
  } finally {
    await removeTree(work);
  }
}
