import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isDeniedEnvName } from '../agent/env.js';
import type { Sandbox } from '../sandbox/types.js';
import { describeExit, type RunCommandResult } from '../util/run-command.js';

/** The panic context file the agents' tools read and write (outside the repository). */
export function contextFile(sandbox: Sandbox): string {
  return path.join(sandbox.scratchDir, 'panic_context.json');
}

/** Where tool and verification runs keep their full output. */
export function toolOutputDir(sandbox: Sandbox): string {
  return path.join(sandbox.scratchDir, 'tool-output');
}

/** Model credentials are the agent's alone; the target's own commands never need them. */
const MODEL_CREDENTIALS = /^(ANTHROPIC_API_KEY|ANTHROPIC_AUTH_TOKEN|CLAUDE_CODE_OAUTH_TOKEN)$/;

/**
 * The environment the target's build, tests and simulator run with: the runner's, minus what no
 * sandboxed process may see (the agents' deny-list) and minus the model credentials.
 */
export function targetEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(([name]) => !isDeniedEnvName(name) && !MODEL_CREDENTIALS.test(name)),
  );
}

/** A fresh host path in the sandbox's scratch dir, where files cross into or out of the sandbox. */
async function stagingPath(sandbox: Sandbox): Promise<string> {
  const incoming = path.join(sandbox.scratchDir, 'incoming');
  await mkdir(incoming, { recursive: true });
  return path.join(incoming, randomUUID());
}

/**
 * Writes a file into the sandbox's repository. The repo may only exist inside the sandbox (overlay,
 * AgentFS), so the bytes go to the host-visible scratch dir first and `install` copies them in:
 * data never passes through a command line.
 */
export async function writeIntoSandbox(
  sandbox: Sandbox,
  relativePath: string,
  content: string,
  mode = 0o644,
): Promise<void> {
  if (path.isAbsolute(relativePath) || relativePath.split(/[\\/]/).includes('..')) {
    throw new Error(`refusing to write outside the repository: ${relativePath}`);
  }
  const destination = await resolveInsideRepo(sandbox, relativePath);
  const staged = await stagingPath(sandbox);
  await writeFile(staged, content);
  const result = await sandbox.run(['install', '-D', '-m', mode.toString(8), '--', staged, destination], {
    env: targetEnv(),
    timeoutMs: 60_000,
  });
  if (result.exitCode !== 0)
    throw new Error(
      `could not write ${relativePath} into the sandbox: ${describeExit(result)} ${result.tail}`,
    );
}

/**
 * The path, as the sandbox sees it, with every existing symlink resolved: a tracked symlink (`testing ->
 * /elsewhere`) must not carry a write out of the repository. Resolved inside the sandbox, since the repo
 * may not exist on the host; `install` then writes to exactly the checked path.
 */
async function resolveInsideRepo(sandbox: Sandbox, relativePath: string): Promise<string> {
  const result = await sandbox.run(['realpath', '-z', '-m', '--', '.', relativePath], {
    env: targetEnv(),
    timeoutMs: 60_000,
  });
  const [root, resolved] = result.stdoutTail.split('\0');
  if (result.exitCode !== 0 || !root || !resolved)
    throw new Error(
      `could not resolve ${relativePath} in the sandbox: ${describeExit(result)} ${result.tail}`,
    );
  if (!resolved.startsWith(root.endsWith('/') ? root : `${root}/`))
    throw new Error(`refusing to write outside the repository: ${relativePath} resolves to ${resolved}`);
  return resolved;
}

/** Reads a small repo file from inside the sandbox; undefined when it does not exist. */
export async function readFromSandbox(sandbox: Sandbox, relativePath: string): Promise<string | undefined> {
  const staged = await stagingPath(sandbox);
  const result = await sandbox.run(['cp', '--', relativePath, staged], {
    env: targetEnv(),
    timeoutMs: 60_000,
  });
  if (result.exitCode !== 0) return undefined;
  return readFile(staged, 'utf8');
}

export type SandboxExec = (
  argv: string[],
  opts: { timeoutMs?: number; outputFile?: string; env?: NodeJS.ProcessEnv; signal?: AbortSignal },
) => Promise<RunCommandResult>;

/** The injectable runner the simulator/validation logic uses, bound to a sandbox. */
export function sandboxExec(sandbox: Sandbox, signal?: AbortSignal): SandboxExec {
  return (argv, opts) =>
    sandbox.run(argv, {
      env: opts.env ?? targetEnv(),
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.outputFile ? { outputFile: opts.outputFile } : {}),
      ...((opts.signal ?? signal) ? { signal: (opts.signal ?? signal)! } : {}),
    });
}

/** SHA-256 of each repo file as the sandbox sees it (`deleted` when absent), by path. */
export async function digestFiles(
  sandbox: Sandbox,
  files: readonly string[],
): Promise<Record<string, string>> {
  const digests: Record<string, string> = {};
  for (const file of [...files].sort()) {
    const content = await readFromSandbox(sandbox, file);
    digests[file] = content === undefined ? 'deleted' : createHash('sha256').update(content).digest('hex');
  }
  return digests;
}
