import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../../../core/src/cli/main.js';

export interface CapturedCli {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the `panic-fix` CLI in this process with its output captured: an empty environment, the given
 * stdin, and a fresh temporary working directory unless one is given.
 */
export async function runCliCaptured(
  args: string[],
  opts: { cwd?: string; stdin?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CapturedCli> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    readStdin: async () => opts.stdin ?? '',
    env: opts.env ?? {},
    cwd: opts.cwd ?? (await mkdtemp(path.join(tmpdir(), 'cli-'))),
  });
  return { code, stdout, stderr };
}
