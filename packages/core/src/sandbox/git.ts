import { describeExit, runCommand } from '../util/run-command.js';

/** Variables that would point our git calls at another repository, index or object store. */
const REPO_REDIRECTING_VARS = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_COMMON_DIR',
  'GIT_NAMESPACE',
  'GIT_PREFIX',
];

/** Appends `git -c`-equivalent settings through GIT_CONFIG_COUNT/KEY_n/VALUE_n, keeping any already set. */
export function withGitConfig(
  env: NodeJS.ProcessEnv,
  entries: ReadonlyArray<readonly [string, string]>,
): NodeJS.ProcessEnv {
  const out = { ...env };
  const existing = Number.parseInt(env.GIT_CONFIG_COUNT ?? '0', 10);
  let count = Number.isInteger(existing) && existing > 0 ? existing : 0;
  for (const [key, value] of entries) {
    out[`GIT_CONFIG_KEY_${count}`] = key;
    out[`GIT_CONFIG_VALUE_${count}`] = value;
    count += 1;
  }
  out.GIT_CONFIG_COUNT = String(count);
  return out;
}

/**
 * Inside a user namespace (overlay) the repository may look owned by someone else, and git would
 * refuse it as "dubious ownership"; the sandbox is ours, so trust it.
 */
export function trustAllDirectories(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return withGitConfig(env, [['safe.directory', '*']]);
}

/** Environment for the pipeline's own git calls: no prompts, no redirection, every directory trusted. */
export function pipelineGitEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' };
  for (const name of REPO_REDIRECTING_VARS) delete env[name];
  return trustAllDirectories(env);
}

/**
 * Options that keep repository config and hooks from running code or reshaping output during our own calls.
 * `checkStat=default` on purpose: `minimal` ignores mtime nanoseconds, so a same-size edit made within
 * the second an index entry was recorded looks unchanged and silently drops out of the patch (seen in
 * the overlay suite). Under agentfs this costs a re-read (copy-up) of files whose inode looks new.
 */
export const PIPELINE_GIT_CONFIG: ReadonlyArray<readonly [string, string]> = [
  ['core.hooksPath', '/dev/null'],
  ['core.fsmonitor', 'false'],
  ['core.checkStat', 'default'],
  ['core.autocrlf', 'false'],
  ['core.safecrlf', 'false'],
];

/** PIPELINE_GIT_CONFIG as `git -c key=value` flags. */
export const PIPELINE_GIT_OPTIONS: readonly string[] = PIPELINE_GIT_CONFIG.flatMap(([key, value]) => [
  '-c',
  `${key}=${value}`,
]);

export interface GitResult {
  stdout: string;
  stderr: string;
}

/** Runs git on the host (never inside a sandbox) and returns its output; throws with stderr on failure. */
export async function hostGit(cwd: string, args: readonly string[], timeoutMs = 120_000): Promise<GitResult> {
  const result = await runCommand({
    argv: ['git', ...PIPELINE_GIT_OPTIONS, ...args],
    cwd,
    env: pipelineGitEnv(),
    timeoutMs,
    tailBytes: 1024 * 1024,
  });
  if (result.exitCode !== 0) {
    const stderr = result.stderrTail.trim();
    throw new Error(
      `git ${args.join(' ')} in ${cwd} failed (${describeExit(result)})${stderr ? `: ${stderr}` : ''}`,
    );
  }
  return { stdout: result.stdoutTail, stderr: result.stderrTail };
}
