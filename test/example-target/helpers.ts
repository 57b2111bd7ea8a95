import { appendFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCommand, type RunCommandResult } from '../../packages/core/src/util/run-command.js';
import {
  materialiseTarget,
  memoryTclTest,
  type MaterialisedTarget,
} from '../../packages/testkit/src/target-repo/index.js';

const created: string[] = [];

/** materialiseTarget, remembering the temp directory for `removeTargets`. */
export async function freshTarget(): Promise<MaterialisedTarget> {
  const target = await materialiseTarget();
  created.push(path.dirname(target.repo));
  return target;
}

export async function removeTargets(): Promise<void> {
  await Promise.all(created.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/**
 * The environment of every command: no inherited CARGO_TARGET_DIR (each copy builds into its own
 * target/, see packages/testkit/src/target-repo) and no RUST_BACKTRACE, so outputs are stable.
 */
export function targetEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.CARGO_TARGET_DIR;
  delete env.RUST_BACKTRACE;
  delete env.RUST_LOG;
  delete env.SQLITE_EXEC;
  return env;
}

export async function run(repo: string, argv: readonly string[], stdin?: string): Promise<RunCommandResult> {
  const result = await runCommand({
    argv,
    cwd: repo,
    env: targetEnv(),
    timeoutMs: 110_000,
    ...(stdin === undefined ? {} : { stdin }),
  });
  if (result.spawnError) throw new Error(`${argv.join(' ')}: ${result.spawnError}`);
  return result;
}

/** Runs a command that must succeed, with its output in the failure message. */
export async function mustRun(repo: string, argv: readonly string[]): Promise<RunCommandResult> {
  const result = await run(repo, argv);
  if (result.exitCode !== 0) {
    throw new Error(`${argv.join(' ')} exited ${result.exitCode}:\n${result.tail}`);
  }
  return result;
}

export function simulatorBinary(repo: string): string {
  return path.join(repo, 'target', 'debug', 'limbo_sim');
}

export function shellBinary(repo: string): string {
  return path.join(repo, 'target', 'debug', 'tursodb');
}

export interface SimulatorPanicReport {
  message: string;
  /** `file:line:col` of the first frame below `core::panicking::*`, without the leading `./`. */
  location: string;
  seed: string;
  error: string;
}

/**
 * Reads the Turso-style report of a simulator panic: the hook's "panic occurred" line, the message
 * line after it, the backtrace frames, `seed: N` on stdout and `Error: failed with error: '…'` on stderr.
 */
export function parseSimulatorPanic(stdout: string, stderr: string): SimulatorPanicReport | undefined {
  const lines = stdout.split('\n');
  const hook = lines.findIndex((line) => /limbo_sim: \d+: panic occurred$/.test(line));
  if (hook === -1) return undefined;
  const message = /limbo_sim: \d+: (.*)$/.exec(lines[hook + 1] ?? '')?.[1];
  const panicking = lines.findIndex((line, i) => i > hook && /^\s*\d+: core::panicking::/.test(line));
  const site = panicking === -1 ? undefined : /^\s+at \.\/(\S+:\d+:\d+)$/.exec(lines[panicking + 3] ?? '');
  const seed = /^seed: (\d+)$/m.exec(stdout)?.[1];
  const error = /^Error: failed with error: '(.*)'$/m.exec(stderr)?.[1];
  if (message === undefined || !site || seed === undefined || error === undefined) return undefined;
  return { message, location: site[1]!, seed, error };
}

export interface ShellPanic {
  thread: string;
  location: string;
  message: string;
}

/** The default Rust panic report of the shell (`thread 'main' (id) panicked at file:l:c:` + message). */
export function parseShellPanic(stderr: string): ShellPanic | undefined {
  const match =
    /^thread '([^']+)'(?: \(\d+\))? panicked at (\S+:\d+:\d+):\n([\s\S]*?)\n(?:note: |stack backtrace:|$)/m.exec(
      stderr,
    );
  if (!match) return undefined;
  return { thread: match[1]!, location: match[2]!, message: match[3]! };
}

/** Writes testing/<file> with one `{:memory:}` test and registers it in testing/all.test. */
export async function addRegressionTest(
  repo: string,
  file: string,
  name: string,
  sql: string,
  expected: string,
): Promise<void> {
  await writeFile(path.join(repo, 'testing', file), memoryTclTest(name, sql, expected), { mode: 0o755 });
  await appendFile(path.join(repo, 'testing', 'all.test'), `source $testdir/${file}\n`);
}
