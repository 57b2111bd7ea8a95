import { spawn } from 'node:child_process';

export interface StepProcessResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  aborted: boolean;
  spawnError?: string;
}

export interface StepProcessOptions {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  timeoutMs?: number;
  signal: AbortSignal;
  /** Each complete output line (stdout and stderr), without its newline. */
  onLine: (line: string) => void;
}

const KILL_GRACE_MS = 2_000;

/**
 * Runs one step process in its own process group (argv only, never a shell string), feeding output line by line so
 * workflow commands are processed as they appear; a timeout or an abort kills the whole group like the runner does.
 */
export function runStepProcess(options: StepProcessOptions): Promise<StepProcessResult> {
  const [program, ...args] = options.argv;
  if (!program) throw new Error('runStepProcess: empty argv');
  return new Promise((resolve) => {
    let timedOut = false;
    let aborted = false;
    let spawnError: string | undefined;
    const child = spawn(program, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const kill = () => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        return;
      }
      setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, KILL_GRACE_MS).unref();
    };
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            kill();
          }, options.timeoutMs);
    const onAbort = () => {
      aborted = true;
      kill();
    };
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener('abort', onAbort, { once: true });

    for (const stream of [child.stdout, child.stderr]) {
      let pending = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        pending += chunk;
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) options.onLine(line.replace(/\r$/, ''));
      });
      stream.on('end', () => {
        if (pending !== '') options.onLine(pending);
        pending = '';
      });
    }
    child.on('error', (error) => {
      spawnError = error.message;
    });
    child.on('close', (exitCode, signal) => {
      if (timer) clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      resolve({ exitCode, signal, timedOut, aborted, ...(spawnError ? { spawnError } : {}) });
    });
  });
}
