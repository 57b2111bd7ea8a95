import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { targetEnv } from '../agent/env.js';
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

/** A fresh host path in the sandbox's scratch dir, where files cross into or out of the sandbox. */
async function stagingPath(sandbox: Sandbox): Promise<string> {
  const incoming = path.join(sandbox.scratchDir, 'incoming');
  await mkdir(incoming, { recursive: true });
  return path.join(incoming, randomUUID());
}

export interface SandboxFile {
  /** Repo-relative path. */
  path: string;
  content: string;
  mode?: number;
}

/**
 * Resolves each destination inside the sandbox with every existing symlink followed (a tracked
 * `testing -> /elsewhere` must not carry a write out of the repository) and installs the staged file
 * at exactly the checked path. Fixed text: paths and modes arrive as positional parameters, in
 * triples (staged file, octal mode, repo path); `$(…; echo .)` keeps a name's trailing newline.
 * Exit 4 = refused, with the reason on stderr.
 */
export const WRITE_FILES_SCRIPT = [
  'root=$(realpath -- . && echo .) || exit 3; root=${root%?.}',
  'while [ "$#" -ge 3 ]; do',
  '  dest=$(realpath -m -- "$3" && echo .) || { printf "could not resolve %s\\n" "$3" >&2; exit 3; }',
  '  dest=${dest%?.}',
  '  case $dest in',
  '    "$root"/*) ;;',
  '    *) printf "refusing to write outside the repository: %s resolves to %s" "$3" "$dest" >&2; exit 4 ;;',
  '  esac',
  '  install -D -m "$2" -- "$1" "$dest" || exit 5',
  '  shift 3',
  'done',
].join('\n');

/**
 * Writes files into the sandbox's repository in one sandboxed command. The repo may only exist inside
 * the sandbox (overlay, AgentFS), so the bytes go to the host-visible scratch dir first and `install`
 * copies them in: data never passes through a command line.
 */
export async function writeFilesIntoSandbox(sandbox: Sandbox, files: readonly SandboxFile[]): Promise<void> {
  const args: string[] = [];
  for (const file of files) {
    if (path.isAbsolute(file.path) || file.path.split(/[\\/]/).includes('..')) {
      throw new Error(`refusing to write outside the repository: ${file.path}`);
    }
    const staged = await stagingPath(sandbox);
    await writeFile(staged, file.content);
    args.push(staged, (file.mode ?? 0o644).toString(8), file.path);
  }
  if (args.length === 0) return;
  const result = await sandbox.run(['sh', '-c', WRITE_FILES_SCRIPT, 'write-files', ...args], {
    env: targetEnv(),
    timeoutMs: 60_000,
  });
  if (result.exitCode === 4) throw new Error(result.stderrTail);
  if (result.exitCode !== 0)
    throw new Error(
      `could not write ${files.map((f) => f.path).join(', ')} into the sandbox: ${describeExit(result)} ${result.tail}`,
    );
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

/**
 * SHA-256 of each repo file as the sandbox sees it (`deleted` when absent or unreadable), by path:
 * one `sha256sum --zero` inside the sandbox for all of them (names are printed unescaped, NUL-ended).
 */
export async function digestFiles(
  sandbox: Sandbox,
  files: readonly string[],
): Promise<Record<string, string>> {
  const sorted = [...new Set(files)].sort();
  if (sorted.length === 0) return {};
  const result = await sandbox.run(['sha256sum', '--zero', '--', ...sorted], {
    env: { ...targetEnv(), LC_ALL: 'C' }, // its complaints are read below
    timeoutMs: 60_000,
    tailBytes: 1024 * 1024,
  });
  const found = new Map<string, string>();
  for (const record of result.stdoutTail.split('\0')) {
    const match = /^([0-9a-f]{64}) [ *](.*)$/s.exec(record);
    if (match) found.set(match[2]!, match[1]!);
  }
  // Exit 1 where every complaint is an absent file, one per unprinted file, is the one answer that
  // means "deleted"; anything else (the sandbox not entered, a read error) must not pass for one.
  // (sha256sum quotes odd names in its messages, so the complaints are counted, not matched by name.)
  const absent = sorted.filter((file) => !found.has(file)).length;
  const complaints = result.stderrTail.split('\n').filter((line) => line.startsWith('sha256sum: '));
  const ok =
    result.exitCode === 0 ||
    (result.exitCode === 1 &&
      absent > 0 &&
      complaints.length === absent &&
      complaints.every((line) => /: (No such file or directory|Is a directory)$/.test(line)));
  if (!ok)
    throw new Error(
      `could not read ${sorted.join(', ')} in the sandbox: ${describeExit(result)} ${result.tail}`,
    );
  return Object.fromEntries(sorted.map((file) => [file, found.get(file) ?? 'deleted']));
}
