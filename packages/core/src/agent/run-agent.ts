import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monotonicNow } from '../clock/server.js';
import { spawnInGroup, TailBuffer } from '../util/run-command.js';
import { buildAgentEnv } from './env.js';
import { type McpServerSpec, writeMcpConfig } from './mcp-config.js';
import {
  LineSplitter,
  parseStreamLine,
  type ResultEvent,
  resultEventSchema,
  type StreamEvent,
  summariseEvent,
} from './stream-json.js';
import { TranscriptWriter } from './transcript.js';

/** How the sandbox runs a command inside itself (identity outside a sandbox). */
export type AgentWrap = (
  argv: readonly string[],
  context: { env: Record<string, string> },
) => { argv: readonly string[]; cwd: string; env: NodeJS.ProcessEnv };

/** The part of the budget clock the runner needs (`startBudgetClock()` provides it). */
export interface AgentClock {
  now(): number;
  excludedMs(now?: number): number;
}

export interface RunAgentOptions {
  wrap: AgentWrap;
  /** The rendered prompt; sent on stdin, so its size and content never meet argv limits or a shell. */
  prompt: string;
  /** The panic-fix MCP tools server, the only MCP server the agent gets. */
  mcpServer: McpServerSpec;
  claudePath?: string;
  model?: string;
  maxTurns?: number;
  /** `--bare`: skip CLAUDE.md/AGENTS.md discovery and other ambient context. */
  bare?: boolean;
  /** Agent time allowed: wall time minus the clock's excluded (simulator/validation) time. */
  budgetMs: number;
  clock?: AgentClock;
  killGraceMs?: number;
  /** Variables the agent needs beyond the allow-list (e.g. a private HOME); denied names are dropped. */
  extraEnv?: Record<string, string>;
  /** The environment the allow-list filters (default process.env). */
  sourceEnv?: NodeJS.ProcessEnv;
  /** Scratch directory (outside the repo) for the MCP config and, by default, the transcript. */
  workDir?: string;
  /** Where the MCP config goes when it must differ from workDir (e.g. the sandbox's scratch dir). */
  mcpConfigDir?: string;
  transcriptFile?: string;
  transcriptLimitBytes?: number;
  /** Every stream-json event as it arrives (e.g. for log groups). */
  onEvent?: (event: StreamEvent) => void;
  /** Compact human-readable lines. */
  onSummary?: (line: string) => void;
  /** Stops the agent like an exhausted budget (outcome `crashed`, reason "stopped by the caller"). */
  signal?: AbortSignal;
}

export type AgentOutcome = 'success' | 'agent_error' | 'budget_exceeded' | 'crashed' | 'no_result';

export interface AgentResult {
  outcome: AgentOutcome;
  /** Why, in one line (for logs and retry prompts). */
  reason: string;
  resultText: string;
  numTurns: number;
  costUsd: number;
  /** Wall time from spawn to exit. */
  durationMs: number;
  /** Wall time minus excluded time: what counts against the budget. */
  budgetUsedMs: number;
  excludedMs: number;
  transcriptFile: string;
  transcriptTruncated: boolean;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Process id (= process group id) of the wrapped agent, for checks that nothing outlives it. */
  pid: number | undefined;
  stderrTail: string;
  resultEvent?: ResultEvent;
}

const DEFAULT_MAX_TURNS = 200;
const DEFAULT_KILL_GRACE_MS = 10_000;

function monotonicClock(): AgentClock {
  return { now: monotonicNow, excludedMs: () => 0 };
}

/** The CLI arguments (after the executable); the prompt goes to stdin. */
export function claudeArgs(options: {
  mcpConfigFile: string;
  maxTurns: number;
  model?: string;
  bare?: boolean;
}): string[] {
  const args = [
    '--print',
    '--output-format',
    'stream-json',
    '--verbose',
    // The sandbox is the permission boundary; IS_SANDBOX=1 lets this run as root.
    '--dangerously-skip-permissions',
    '--max-turns',
    String(options.maxTurns),
    '--mcp-config',
    options.mcpConfigFile,
    '--strict-mcp-config',
  ];
  if (options.model) args.push('--model', options.model);
  if (options.bare) args.push('--bare');
  return args;
}

/**
 * Runs Claude Code once, headless, streaming its events; stops it (SIGTERM to its process group, then
 * SIGKILL) when its own time — wall time minus simulator/validation time reported to the clock — runs
 * out. Success means a `result` event with subtype `success`, never just a zero exit code.
 */
export async function runAgent(options: RunAgentOptions): Promise<AgentResult> {
  const clock = options.clock ?? monotonicClock();
  const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const workDir = options.workDir ?? (await mkdtemp(path.join(tmpdir(), 'panic-fix-agent-')));
  const mcpConfigFile = path.join(options.mcpConfigDir ?? workDir, 'mcp-config.json');
  await writeMcpConfig(mcpConfigFile, options.mcpServer);
  const transcript = new TranscriptWriter(
    options.transcriptFile ?? path.join(workDir, 'transcript.jsonl'),
    options.transcriptLimitBytes,
  );

  const argv = [
    options.claudePath ?? 'claude',
    ...claudeArgs({
      mcpConfigFile,
      maxTurns: options.maxTurns ?? DEFAULT_MAX_TURNS,
      ...(options.model ? { model: options.model } : {}),
      ...(options.bare ? { bare: true } : {}),
    }),
  ];
  const env = buildAgentEnv(options.sourceEnv ?? process.env, options.extraEnv);
  const wrapped = options.wrap(argv, { env });
  const [program, ...args] = wrapped.argv;
  if (!program) throw new Error('runAgent: wrap returned an empty argv');

  const startedAt = clock.now();
  const excludedAtStart = clock.excludedMs(startedAt);
  const used = (at: number) => at - startedAt - (clock.excludedMs(at) - excludedAtStart);

  let resultEvent: ResultEvent | undefined;
  let budgetExceeded = false;
  let spawnError: string | undefined;
  const stderr = new TailBuffer(16 * 1024);
  const emit = (line: string) => {
    try {
      options.onSummary?.(line);
    } catch {
      // A logging callback must not break the run.
    }
  };

  const lines = new LineSplitter(
    (line) => {
      const event = parseStreamLine(line);
      if (!event) {
        transcript.line(JSON.stringify({ type: 'panic_fix_raw_output', text: line }));
        emit(`output: ${line.slice(0, 200)}`);
        return;
      }
      const isResult = event.type === 'result';
      transcript.line(line, isResult);
      if (isResult) {
        const parsed = resultEventSchema.safeParse(event);
        if (parsed.success) resultEvent = parsed.data;
      }
      try {
        options.onEvent?.(event);
      } catch {
        // A logging callback must not break the run.
      }
      for (const summary of summariseEvent(event)) emit(summary);
    },
    {
      onOversized: (chars) => {
        transcript.line(
          JSON.stringify({
            type: 'panic_fix_line_dropped',
            chars,
            note: 'output line over the length limit',
          }),
        );
        emit(`output: dropped a line of ${chars} characters (over the length limit)`);
      },
    },
  );

  const { child, killGroup, stop, dispose } = spawnInGroup(program, args, {
    cwd: wrapped.cwd,
    env: wrapped.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    killGraceMs,
  });
  const pid = child.pid;
  const stdout = child.stdout!;
  const stderrStream = child.stderr!;
  const stdin = child.stdin!;

  let budgetTimer: NodeJS.Timeout | undefined;
  let drainTimer: NodeJS.Timeout | undefined;
  let aborted = false;
  const onAbort = () => {
    aborted = true;
    emit('stopped by the caller: stopping the agent');
    stop();
  };
  // Re-armed at the remaining budget: time inside excluded runs does not count, so reaching the
  // first deadline only means "check again".
  const armBudget = () => {
    const remaining = options.budgetMs - used(clock.now());
    if (remaining <= 0) {
      budgetExceeded = true;
      emit(`budget of ${options.budgetMs} ms exhausted: stopping the agent`);
      stop();
      return;
    }
    budgetTimer = setTimeout(armBudget, Math.max(remaining, 50));
  };
  armBudget();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();

  stdout.setEncoding('utf8');
  stdout.on('data', (chunk: string) => lines.push(chunk));
  stderrStream.on('data', (chunk: Buffer) => stderr.push(chunk));
  stdin.on('error', () => undefined);
  stdin.end(options.prompt);

  const { exitCode, signal } = await new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>(
    (resolve) => {
      child.on('error', (error: NodeJS.ErrnoException) => {
        spawnError = error.code === 'ENOENT' ? `program not found: ${program}` : error.message;
        resolve({ exitCode: null, signal: null });
      });
      // Whatever the agent left behind in its group (MCP server, cargo, shells) goes with it. A process
      // that left the group (setsid) may still hold the pipes open: stop waiting for them after the grace.
      child.on('exit', () => {
        killGroup('SIGKILL');
        drainTimer = setTimeout(() => {
          emit('output pipes still open after the agent exited (a process left its group): closing them');
          stdout.destroy();
          stderrStream.destroy();
        }, killGraceMs);
      });
      child.on('close', (code, sig) => resolve({ exitCode: code, signal: sig }));
    },
  );
  const endedAt = clock.now();
  if (budgetTimer) clearTimeout(budgetTimer);
  dispose();
  if (drainTimer) clearTimeout(drainTimer);
  options.signal?.removeEventListener('abort', onAbort);
  killGroup('SIGKILL');
  lines.flush();
  const transcriptTruncated = transcript.isTruncated;
  await transcript.close();

  const { outcome, reason } = classify({
    resultEvent,
    budgetExceeded,
    aborted,
    spawnError,
    exitCode,
    signal,
  });
  emit(`agent ${outcome}: ${reason}`);
  return {
    outcome,
    reason,
    resultText: resultEvent?.result ?? '',
    numTurns: resultEvent?.num_turns ?? 0,
    costUsd: resultEvent?.total_cost_usd ?? 0,
    durationMs: Math.round(endedAt - startedAt),
    budgetUsedMs: Math.round(used(endedAt)),
    excludedMs: Math.round(clock.excludedMs(endedAt) - excludedAtStart),
    transcriptFile: transcript.file,
    transcriptTruncated,
    exitCode,
    signal,
    pid,
    stderrTail: stderr.toString(),
    ...(resultEvent ? { resultEvent } : {}),
  };
}

export function classify(state: {
  resultEvent: ResultEvent | undefined;
  budgetExceeded: boolean;
  aborted?: boolean;
  spawnError: string | undefined;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
}): { outcome: AgentOutcome; reason: string } {
  const { resultEvent, budgetExceeded, spawnError, exitCode, signal } = state;
  if (resultEvent?.subtype === 'success' && resultEvent.is_error !== true) {
    return { outcome: 'success', reason: `finished after ${resultEvent.num_turns ?? '?'} turns` };
  }
  if (budgetExceeded) return { outcome: 'budget_exceeded', reason: 'agent time budget exhausted' };
  if (state.aborted) return { outcome: 'crashed', reason: 'stopped by the caller' };
  if (resultEvent) {
    const detail = resultEvent.result ? `: ${resultEvent.result.slice(0, 300)}` : '';
    return { outcome: 'agent_error', reason: `result ${resultEvent.subtype}${detail}` };
  }
  if (spawnError) return { outcome: 'crashed', reason: spawnError };
  if (signal) return { outcome: 'crashed', reason: `killed by ${signal} without a result` };
  if (exitCode !== 0) return { outcome: 'crashed', reason: `exit code ${exitCode} without a result` };
  return { outcome: 'no_result', reason: 'exited 0 without a result event' };
}
