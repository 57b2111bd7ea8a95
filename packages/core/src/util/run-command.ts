import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';

export interface RunCommandOptions {
  argv: readonly string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Killed with its whole process group past this. */
  timeoutMs?: number;
  /** SIGTERM → SIGKILL delay when stopping. */
  killGraceMs?: number;
  /** Full combined output is streamed here (the result keeps only a tail). */
  outputFile?: string;
  /** Bytes of combined output kept in memory for the result. */
  tailBytes?: number;
  /** Data written to stdin, then closed. Stdin is otherwise empty. */
  stdin?: string;
  signal?: AbortSignal;
  onOutput?: (chunk: Buffer, stream: 'stdout' | 'stderr') => void;
}

export interface RunCommandResult {
  argv: readonly string[];
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  /** Set when the program could not be started at all (e.g. ENOENT). */
  spawnError?: string;
  durationMs: number;
  /** Last `tailBytes` of stdout+stderr interleaved as received. */
  tail: string;
  stdoutTail: string;
  stderrTail: string;
  totalBytes: number;
  outputFile?: string;
}

const DEFAULT_TAIL = 64 * 1024;

/** Keeps the last `limit` bytes of a stream without growing past it. */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  total = 0;
  constructor(private readonly limit: number) {}
  push(chunk: Buffer): void {
    this.total += chunk.length;
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit && this.chunks.length > 1) {
      this.size -= this.chunks.shift()!.length;
    }
    if (this.size > this.limit) {
      const only = this.chunks[0]!;
      this.chunks[0] = only.subarray(only.length - this.limit);
      this.size = this.limit;
    }
  }
  toString(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export interface GroupChild {
  child: ChildProcess;
  /** Signals every process in the child's group (a no-op once the group is gone). */
  killGroup: (signal: NodeJS.Signals) => void;
  /** SIGTERM to the group now, SIGKILL after the grace period unless it is already armed. */
  stop: () => void;
  /** Cancels a pending SIGKILL (call once the child has ended). */
  dispose: () => void;
}

/**
 * Spawns argv[0] as the leader of a new process group, so stopping it reaches everything it started
 * (cargo → rustc → the simulator, claude → its MCP server), not just the direct child.
 */
export function spawnInGroup(
  program: string,
  args: readonly string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; stdio: StdioOptions; killGraceMs: number },
): GroupChild {
  const child = spawn(program, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: opts.stdio });
  let killTimer: NodeJS.Timeout | undefined;
  const killGroup = (signal: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // group already gone
    }
  };
  return {
    child,
    killGroup,
    stop: () => {
      killGroup('SIGTERM');
      killTimer ??= setTimeout(() => killGroup('SIGKILL'), opts.killGraceMs);
    },
    dispose: () => {
      if (killTimer) clearTimeout(killTimer);
    },
  };
}

/** The last `limit` bytes of a file and its size (the output a program wrote straight to it). */
async function readFileTail(file: string, limit: number): Promise<{ tail: Buffer; size: number }> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, limit);
    const tail = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const { bytesRead } = await handle.read(tail, read, length - read, size - length + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return { tail: tail.subarray(0, read), size };
  } finally {
    await handle.close();
  }
}

/**
 * Runs argv (never through a shell) in its own process group so a timeout or abort kills every child
 * it spawned (cargo → rustc → the simulator), not just the direct child.
 *
 * With `outputFile` and no `onOutput`, the program writes straight into the file (stdout and stderr
 * interleaved, as `> file 2>&1`) and the tails are read back from it at the end: a simulator printing
 * a line per query then never waits on a pipe or wakes this process, which matters when two seeds
 * share two cores. In that mode `stdoutTail` holds the combined tail and `stderrTail` is empty.
 */
export async function runCommand(options: RunCommandOptions): Promise<RunCommandResult> {
  const started = Date.now();
  const tailBytes = options.tailBytes ?? DEFAULT_TAIL;
  const [program, ...args] = options.argv;
  if (!program) throw new Error('runCommand: empty argv');
  const direct = options.outputFile !== undefined && options.onOutput === undefined;
  const outputFd = direct ? await open(options.outputFile!, 'w') : undefined;

  const buffers = direct
    ? undefined
    : { all: new TailBuffer(tailBytes), out: new TailBuffer(tailBytes), err: new TailBuffer(tailBytes) };

  const ended = await new Promise<
    Omit<RunCommandResult, 'tail' | 'stdoutTail' | 'stderrTail' | 'totalBytes'>
  >((resolve) => {
    let file: WriteStream | undefined;
    if (options.outputFile && !direct) file = createWriteStream(options.outputFile, { flags: 'w' });
    let timedOut = false;
    let aborted = false;
    let spawnError: string | undefined;
    let settled = false;

    const { child, killGroup, stop, dispose } = spawnInGroup(program, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: outputFd ? ['pipe', outputFd.fd, outputFd.fd] : ['pipe', 'pipe', 'pipe'],
      killGraceMs: options.killGraceMs ?? 5_000,
    });
    // The child has its own copy of the descriptor now.
    outputFd?.close().catch(() => undefined);

    const timeout = options.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          stop();
        }, options.timeoutMs)
      : undefined;
    const onAbort = () => {
      aborted = true;
      stop();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();

    if (buffers) {
      const onData = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
        buffers.all.push(chunk);
        (stream === 'stdout' ? buffers.out : buffers.err).push(chunk);
        file?.write(chunk);
        options.onOutput?.(chunk, stream);
      };
      child.stdout?.on('data', onData('stdout'));
      child.stderr?.on('data', onData('stderr'));
    }
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.stdin ?? '');

    const finish = (exitCode: number | null, signal: NodeJS.Signals | null) => {
      if (settled) return;
      settled = true;
      if (timeout) clearTimeout(timeout);
      options.signal?.removeEventListener('abort', onAbort);
      // The direct child is gone; make sure no grandchild outlives it.
      killGroup('SIGKILL');
      dispose();
      const result = {
        argv: options.argv,
        exitCode,
        signal,
        timedOut,
        aborted,
        ...(spawnError ? { spawnError } : {}),
        durationMs: Date.now() - started,
        ...(options.outputFile ? { outputFile: options.outputFile } : {}),
      };
      if (file) file.end(() => resolve(result));
      else resolve(result);
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      spawnError = error.code === 'ENOENT' ? `program not found: ${program}` : error.message;
      finish(null, null);
    });
    // A grandchild holding the pipes open would delay 'close' forever: end the group once the child exits.
    child.on('exit', () => killGroup('SIGKILL'));
    child.on('close', (code, signal) => finish(code, signal));
  });

  if (buffers) {
    return {
      ...ended,
      tail: buffers.all.toString(),
      stdoutTail: buffers.out.toString(),
      stderrTail: buffers.err.toString(),
      totalBytes: buffers.all.total,
    };
  }
  const { tail, size } = await readFileTail(options.outputFile!, tailBytes);
  const text = tail.toString('utf8');
  return { ...ended, tail: text, stdoutTail: text, stderrTail: '', totalBytes: size };
}

/** One line for logs and errors: how a command ended. */
export function describeExit(result: RunCommandResult): string {
  if (result.spawnError) return result.spawnError;
  if (result.timedOut) return `timed out after ${result.durationMs} ms`;
  if (result.aborted) return 'stopped';
  if (result.signal) return `killed by ${result.signal}`;
  return `exit code ${result.exitCode}`;
}

/** Replaces `{name}` placeholders inside argv elements; values never reach a shell. */
export function fillArgv(argv: readonly string[], values: Record<string, string>): string[] {
  return argv.map((part) => part.replace(/\{([a-zA-Z]+)\}/g, (whole, key: string) => values[key] ?? whole));
}
