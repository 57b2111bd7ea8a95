import { runCommand, type RunCommandResult } from './run-command.js';

export interface GitOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/** Runs git with argv (never a shell, never a prompt) and returns the raw result. */
export function runGit(cwd: string, args: string[], opts: GitOptions = {}): Promise<RunCommandResult> {
  return runCommand({
    argv: ['git', ...args],
    cwd,
    env: { ...process.env, ...opts.env, GIT_TERMINAL_PROMPT: '0' },
    timeoutMs: opts.timeoutMs ?? 120_000,
    tailBytes: 1024 * 1024,
  });
}

/** Runs git and returns trimmed stdout; throws with git's message on failure. */
export async function git(cwd: string, args: string[], opts: GitOptions = {}): Promise<string> {
  const result = await runGit(cwd, args, opts);
  if (result.exitCode !== 0) {
    throw new Error(
      `git ${args[0]} failed: ${(result.stderrTail || result.spawnError || result.stdoutTail).trim().slice(-2000)}`,
    );
  }
  return result.stdoutTail.trim();
}
