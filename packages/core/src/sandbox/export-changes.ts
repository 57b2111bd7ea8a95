import { copyFile, mkdir, mkdtemp, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic-write.js';
import { describeExit } from '../util/run-command.js';
import { PIPELINE_GIT_OPTIONS, pipelineGitEnv } from './git.js';
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
 * Copies the sandbox's index to a private file first (keeps git's stat cache, so unchanged files are
 * not re-read — re-reading would copy every file up under agentfs). The agent's own index is never
 * touched: exporting mid-job leaves `git diff`/`git status` inside the sandbox as the agent left them.
 * `cp -p` keeps the index's mtime: git's racy-entry check compares file mtimes with it, and a fresh
 * mtime would make a same-size edit in the same second as the last index write look unchanged.
 * Fixed script; the destination arrives as a positional parameter.
 */
export const COPY_INDEX_SCRIPT =
  'src=$(git rev-parse --git-path index) || exit 1; if [ -e "$src" ]; then cp -p -- "$src" "$1"; fi';

async function insideOrThrow(
  sandbox: Sandbox,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  what: string,
): Promise<void> {
  const result = await sandbox.run(argv, { env, timeoutMs: EXPORT_STEP_TIMEOUT_MS, tailBytes: 64 * 1024 });
  if (result.exitCode !== 0) {
    const stderr = result.stderrTail.trim();
    throw new Error(
      `exporting sandbox ${sandbox.id}: ${what} failed (${describeExit(result)})${stderr ? `: ${stderr}` : ''}`,
    );
  }
}

/** A scratch work dir holding a private index that stages everything in the sandbox (exclusions aside). */
type PrivateGit = (args: readonly string[]) => Promise<void>;

async function stageIntoPrivateIndex(sandbox: Sandbox): Promise<{ work: string; git: PrivateGit }> {
  await mkdir(sandbox.scratchDir, { recursive: true });
  const work = await mkdtemp(path.join(sandbox.scratchDir, '.export-'));
  const index = path.join(work, 'index');
  // HOME is left to the backend (agentfs pins it per sandbox); our git needs no global config.
  const env = pipelineGitEnv(process.env);
  delete env.HOME;
  const git = (args: readonly string[]) =>
    insideOrThrow(
      sandbox,
      ['git', ...PIPELINE_GIT_OPTIONS, ...args],
      { ...env, GIT_INDEX_FILE: index },
      `git ${args.find((a, i) => !a.startsWith('-') && args[i - 1] !== '-c')}`,
    );
  try {
    await insideOrThrow(
      sandbox,
      ['sh', '-c', COPY_INDEX_SCRIPT, 'copy-index', index],
      env,
      'copying the index',
    );
    // The exclusions go in as ignore rules, not pathspecs: `git add` refuses an exclude pathspec naming
    // an ignored path (Turso ignores target/), and ignored dirs are not even walked. Ignore rules do not
    // cover tracked files, so the diffs below filter with the pathspec again.
    const excludesFile = path.join(work, 'excludes');
    await writeFile(excludesFile, EXPORT_EXCLUDES.map((p) => `/${p}\n`).join(''));
    await git(['-c', `core.excludesFile=${excludesFile}`, 'add', '--all', '--', '.']);
  } catch (error) {
    await removeTree(work);
    throw error;
  }
  return { work, git };
}

/** The staged files' status against baseSha, read from a file git writes (names may be anything). */
async function stagedChanges(work: string, git: PrivateGit, baseSha: string): Promise<ChangedFile[]> {
  const namesFile = path.join(work, 'names');
  await git([
    'diff',
    '--cached',
    '--name-status',
    '-z',
    '--no-renames',
    '--no-relative',
    `--output=${namesFile}`,
    baseSha,
    '--',
    ...EXPORT_PATHSPEC,
  ]);
  return parseNameStatus(await readFile(namesFile));
}

/** Every file the sandbox changed against baseSha, as the patch would carry it (pipeline scratch excluded). */
export async function changedFiles(sandbox: Sandbox): Promise<ChangedFile[]> {
  const { work, git } = await stageIntoPrivateIndex(sandbox);
  try {
    return await stagedChanges(work, git, sandbox.baseSha);
  } finally {
    await removeTree(work);
  }
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
  const { work, git } = await stageIntoPrivateIndex(sandbox);
  try {
    const files = await stagedChanges(work, git, sandbox.baseSha);
    const patchTmp = path.join(work, PATCH_FILE_NAME);
    await git([
      'diff',
      '--cached',
      ...PATCH_FORMAT_OPTIONS,
      `--output=${patchTmp}`,
      sandbox.baseSha,
      '--',
      ...EXPORT_PATHSPEC,
    ]);

    await mkdir(outDir, { recursive: true });
    const patchFile = path.join(outDir, PATCH_FILE_NAME);
    const manifestFile = path.join(outDir, MANIFEST_FILE_NAME);
    // The scratch copy is deleted below: move it (copy only across filesystems).
    await rename(patchTmp, patchFile).catch(() => copyFile(patchTmp, patchFile));
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
