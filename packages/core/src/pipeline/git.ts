import { runCommand } from '../util/run-command.js';

/** Runs git with argv and returns trimmed stdout; throws with stderr on failure. */
export async function git(
  cwd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<string> {
  const result = await runCommand({
    argv: ['git', ...args],
    cwd,
    env: { ...process.env, ...opts.env, GIT_TERMINAL_PROMPT: '0' },
    timeoutMs: opts.timeoutMs ?? 120_000,
    tailBytes: 1024 * 1024,
  });
  if (result.exitCode !== 0) {
    throw new Error(
      `git ${args[0]} failed: ${(result.stderrTail || result.spawnError || '').trim().slice(-2000)}`,
    );
  }
  return result.stdoutTail.trim();
}
