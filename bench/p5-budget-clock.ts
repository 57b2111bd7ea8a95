/**
 * P5: budget clock error with simulator time excluded. Two parts, one run:
 * - agent: the real Claude Code CLI (scripted model) calls an MCP tool that "runs the simulator" for
 *   known durations, bracketed by the budget clock as the real tools do; the runner's excludedMs is
 *   compared with the injected durations;
 * - overlap: runs reported straight through the clock client on a known, overlapping schedule; the
 *   clock must count their union once.
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { runAgent, type AgentWrap } from '../packages/core/src/agent/run-agent.js';
import { createClockClient } from '../packages/core/src/clock/client.js';
import { CLOCK_TOKEN_ENV, CLOCK_URL_ENV } from '../packages/core/src/clock/protocol.js';
import { startBudgetClock } from '../packages/core/src/clock/server.js';
import { claudeEnv, CLAUDE_BIN } from '../packages/testkit/src/scripted-model/claude-env.js';
import { startScriptedModel } from '../packages/testkit/src/scripted-model/server.js';
import { delayed, text, toolUse } from '../packages/testkit/src/scripted-model/turns.js';
import {
  benchTmp,
  ms,
  REPO_ROOT,
  removeDir,
  runStandalone,
  sec,
  type BenchOptions,
  type BenchResult,
} from './lib.js';

const TSX_LOADER = pathToFileURL(path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
/** The runner tests' MCP server: `sleep-as-simulator` sleeps inside clock.during like a simulator run. */
const MCP_FIXTURE = path.join(
  REPO_ROOT,
  'packages',
  'core',
  'src',
  'agent',
  'fixtures',
  'mcp-test-server.ts',
);
const sleep = (msValue: number) => new Promise<void>((resolve) => setTimeout(resolve, msValue));

async function agentPart(tmp: string, sleeps: number[], thinkMs: number) {
  const repo = path.join(tmp, 'repo');
  const home = path.join(tmp, 'home');
  await mkdir(repo, { recursive: true });
  await mkdir(home, { recursive: true });
  const clock = await startBudgetClock();
  // Each tool call is answered after `thinkMs` of "model time", so the agent's own time is not zero.
  const model = await startScriptedModel({
    script: [
      ...sleeps.map((msValue) =>
        delayed(thinkMs, toolUse('mcp__panic-fix__sleep-as-simulator', { ms: msValue })),
      ),
      delayed(thinkMs, text('done')),
    ],
  });
  try {
    const wrap: AgentWrap = (argv, { env }) => ({ argv, cwd: repo, env });
    const result = await runAgent({
      wrap,
      claudePath: CLAUDE_BIN,
      prompt: 'Run the simulator as scripted.',
      budgetMs: 600_000,
      killGraceMs: 3_000,
      workDir: await mkdtemp(path.join(tmp, 'agent-')),
      mcpServer: {
        command: process.execPath,
        args: ['--import', TSX_LOADER, MCP_FIXTURE],
        env: { [CLOCK_URL_ENV]: clock.url, [CLOCK_TOKEN_ENV]: clock.token },
      },
      sourceEnv: process.env,
      extraEnv: claudeEnv({ baseUrl: model.url, home }),
      clock,
    });
    if (result.outcome !== 'success')
      throw new Error(`agent ended ${result.outcome}: ${result.reason ?? ''}`);
    const injected = sleeps.reduce((a, b) => a + b, 0);
    return {
      injectedMs: injected,
      excludedMs: result.excludedMs,
      errorMs: result.excludedMs - injected,
      errorPct: (100 * Math.abs(result.excludedMs - injected)) / injected,
      durationMs: result.durationMs,
      budgetUsedMs: result.budgetUsedMs,
      /** What the budget would have charged, had the simulator time counted. */
      budgetSavedPct: (100 * result.excludedMs) / result.durationMs,
      toolCalls: model.mainRequests().length - 1,
    };
  } finally {
    await model.close();
    await clock.close();
  }
}

/** Runs at known offsets: [start, duration] pairs; the true excluded time is their union. */
async function overlapPart(schedule: [number, number][]) {
  const clock = await startBudgetClock();
  try {
    const client = createClockClient({ url: clock.url, token: clock.token });
    // Warm the HTTP client up, so the first run does not pay for connection setup.
    await client.during({ kind: 'simulator', label: 'warm-up' }, async () => undefined);
    const warm = clock.excludedMs();
    const t0 = clock.now();
    // The truth is what the runs actually spanned (timers slip on a busy machine), on the clock's time scale.
    const actual: [number, number][] = [];
    await Promise.all(
      schedule.map(async ([start, duration]) => {
        await sleep(start);
        const { clockReached } = await client.during(
          { kind: 'simulator', label: `run at ${start}` },
          async () => {
            const s = clock.now();
            await sleep(duration);
            actual.push([s - t0, clock.now() - s]);
          },
        );
        if (!clockReached) throw new Error('clock not reached');
      }),
    );
    const end = Math.max(...schedule.map(([s, d]) => s + d));
    const union = unionOf(actual);
    const excluded = clock.excludedMs() - warm;
    return {
      schedule,
      actual: actual.map(([s, d]) => [Math.round(s), Math.round(d)]),
      sumMs: schedule.reduce((a, [, d]) => a + d, 0),
      unionMs: union,
      excludedMs: excluded,
      errorMs: excluded - union,
      errorPct: (100 * Math.abs(excluded - union)) / union,
      elapsedMs: clock.now() - t0,
      scheduleEndMs: end,
    };
  } finally {
    await clock.close();
  }
}

function unionOf(schedule: [number, number][]): number {
  const sorted = schedule.map(([s, d]) => [s, s + d] as const).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let [cs, ce] = [-Infinity, -Infinity];
  for (const [s, e] of sorted) {
    if (s > ce) {
      if (ce > cs) total += ce - cs;
      [cs, ce] = [s, e];
    } else ce = Math.max(ce, e);
  }
  return total + (ce > cs ? ce - cs : 0);
}

export async function benchBudgetClock(opts: BenchOptions): Promise<BenchResult> {
  const sleeps = opts.quick ? [2_000, 1_000, 3_000] : [4_000, 2_500, 6_000, 1_500];
  const scale = opts.quick ? 0.5 : 1;
  // A long run, one starting inside it and outlasting it, one nested, then a gap and a lone run.
  const schedule: [number, number][] = (
    [
      [0, 3_000],
      [1_000, 3_000],
      [1_500, 1_000],
      [5_000, 2_000],
    ] as [number, number][]
  ).map(([s, d]) => [s * scale, d * scale]);
  const tmp = await benchTmp('p5');
  try {
    process.stdout.write(
      `P5: agent with ${sleeps.length} simulated simulator runs (${sleeps.join(', ')} ms)…\n`,
    );
    const agent = await agentPart(tmp, sleeps, 300);
    process.stdout.write(
      `  excluded ${ms(agent.excludedMs, 0)} vs injected ${ms(agent.injectedMs, 0)} (${agent.errorPct.toFixed(2)} %)\n`,
    );
    process.stdout.write('P5: overlapping runs through the clock client…\n');
    const overlap = await overlapPart(schedule);
    process.stdout.write(
      `  excluded ${ms(overlap.excludedMs, 0)} vs union ${ms(overlap.unionMs, 0)} (sum ${ms(overlap.sumMs, 0)}) (${overlap.errorPct.toFixed(2)} %)\n`,
    );
    const worst = Math.max(agent.errorPct, overlap.errorPct);
    return {
      name: 'p5-budget-clock',
      id: 'P5',
      title: 'budget clock error with simulator time excluded',
      target: '≤ 2 % error',
      measured: `agent: excluded ${sec(agent.excludedMs)} vs injected ${sec(agent.injectedMs)} (${agent.errorPct.toFixed(2)} %); overlapping: ${sec(overlap.excludedMs)} vs union ${sec(overlap.unionMs)} (${overlap.errorPct.toFixed(2)} %)`,
      pass: worst <= 2,
      details: { agent, overlap, thinkMs: 300 },
      notes: [
        "agent error = |excludedMs − injected| / injected with injected = the nominal sleep lengths (timer slack and the clock calls' loopback round trips count as error); overlap error against the union of the spans the runs actually had (timers slip when they overlap)",
        `agent session ${sec(agent.durationMs)}, budget charged ${sec(agent.budgetUsedMs)} (${agent.budgetSavedPct.toFixed(0)} % of the wall time was excluded)`,
      ],
    };
  } finally {
    await removeDir(tmp);
  }
}

await runStandalone(import.meta.url, benchBudgetClock);
