/**
 * P1: orchestration overhead per panic. The local pipeline (runLocalPass: preflight, then reproduce →
 * fix → ship per panic, one panic at a time) runs the demo's planted panics with the scripted model,
 * as `npm run demo` does. Every target command (make, cargo — build, tests, simulator) and every agent
 * session (the claude CLI with its model) runs through a timing wrapper put first on PATH / in
 * agent.claudePath; the wrappers log their start and end. Overhead = wall time − the union of those
 * intervals: what our pipeline itself adds (sandboxes, git, database, self-verification bookkeeping,
 * export, artifacts, PR body).
 */
import { statSync } from 'node:fs';
import { appendFile, chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { unionMs } from '../packages/core/src/clock/server.js';
import { PANIC_FIX_HOME } from '../packages/core/src/home.js';
import { configSchema } from '../packages/core/src/config/schema.js';
import { runLocalPass } from '../packages/core/src/local/orchestrator.js';
import { PanicStore } from '../packages/core/src/store/panic-store.js';
import { prepareDemo } from '../packages/testkit/src/demo/prepare.js';
import { CLAUDE_BIN } from '../packages/testkit/src/scripted-model/claude-env.js';
import {
  benchTmp,
  quietReporter,
  removeDir,
  runStandalone,
  sec,
  type BenchOptions,
  type BenchResult,
} from './lib.js';

/** Only plain absolute paths go into the generated wrappers (single-quoted, so nothing in them is interpreted). */
function safePath(p: string): string {
  if (!/^\/[A-Za-z0-9/_.+-]+$/.test(p)) throw new Error(`unexpected characters in path ${p}`);
  return p;
}

function findOnPath(program: string): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = path.join(dir, program);
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(`${program} not found on PATH`);
}

/**
 * A wrapper that runs the real program and logs `<start ns> <end ns> <kind> <program>` (epoch clock,
 * the same as Date.now()). Fixed text apart from the two checked paths.
 */
function wrapperScript(real: string, kind: 'target' | 'agent', log: string): string {
  return [
    '#!/bin/sh',
    '# panic-fix bench timing wrapper',
    's=$(date +%s%N)',
    `'${safePath(real)}' "$@"`,
    'rc=$?',
    'e=$(date +%s%N)',
    `printf '%s %s ${kind} %s\\n' "$s" "$e" '${path.basename(real)}' >> '${safePath(log)}'`,
    'exit $rc',
    '',
  ].join('\n');
}

interface Interval {
  start: number;
  end: number;
  kind: string;
  program: string;
}

async function readIntervals(log: string): Promise<Interval[]> {
  const text = await readFile(log, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [s, e, kind, program] = line.split(' ');
      return { start: Number(s) / 1e6, end: Number(e) / 1e6, kind: kind ?? '', program: program ?? '' };
    });
}

const covered = (intervals: Interval[], from: number, to: number) => unionMs(intervals, from, to);

/** The stretches of [from, to] no wrapper covered (where the overhead is), longest first. */
function gaps(intervals: Interval[], from: number, to: number, events: { at: number; what: string }[]) {
  const sorted = intervals
    .map((i) => ({ ...i, start: Math.max(i.start, from), end: Math.min(i.end, to) }))
    .filter((i) => i.end > i.start)
    .sort((a, b) => a.start - b.start);
  const out: { atMs: number; ms: number; after: string; before: string }[] = [];
  let cursor = from;
  let last = 'start';
  for (const i of sorted) {
    if (i.start > cursor)
      out.push({ atMs: cursor - from, ms: i.start - cursor, after: last, before: i.program });
    if (i.end > cursor) {
      cursor = i.end;
      last = i.program;
    }
  }
  if (to > cursor) out.push({ atMs: cursor - from, ms: to - cursor, after: last, before: 'end' });
  const phaseAt = (t: number) => events.filter((e) => e.at <= from + t).at(-1)?.what ?? '';
  return out
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 8)
    .map((g) => ({ ...g, atMs: Math.round(g.atMs), ms: Math.round(g.ms), lastEvent: phaseAt(g.atMs) }));
}

export async function benchOrchestrationOverhead(opts: BenchOptions): Promise<BenchResult> {
  const tmp = await benchTmp('p1');
  const savedEnv = { ...process.env };
  try {
    const log = path.join(tmp, 'intervals.log');
    await appendFile(log, '');
    const binDir = path.join(tmp, 'bin');
    await mkdir(binDir);
    const wrappers: [string, string, 'target' | 'agent'][] = [
      ['make', findOnPath('make'), 'target'],
      ['cargo', findOnPath('cargo'), 'target'],
      ['claude', CLAUDE_BIN, 'agent'],
    ];
    for (const [name, real, kind] of wrappers) {
      await writeFile(path.join(binDir, name), wrapperScript(real, kind, log));
      await chmod(path.join(binDir, name), 0o755);
    }

    const demo = await prepareDemo({ dir: path.join(tmp, 'demo'), log: () => undefined });
    const panics = opts.quick ? demo.panics.filter((p) => p.reference).slice(0, 1) : demo.panics;
    const model = await demo.startModel();
    process.env.PATH = `${binDir}:${process.env.PATH ?? ''}`;
    const config = configSchema.parse({
      ...demo.properties,
      maxParallelPanics: 1,
      agent: { ...demo.properties.agent, claudePath: path.join(binDir, 'claude') },
    });
    const store = await PanicStore.open(config.tursoUrl);
    const starts = new Map<string, number>();
    const ends = new Map<string, number>();
    const events: { at: number; what: string }[] = [];
    let wallMs = 0;
    let passStart = 0;
    let result;
    try {
      // --quick: one panic only (the others are requeued out of the way by not being asked for).
      process.stdout.write(
        `P1: running the local pipeline on ${opts.quick ? '1 planted panic' : `${panics.length} planted panics`}…\n`,
      );
      passStart = Date.now();
      result = await runLocalPass({
        config,
        store,
        reporter: quietReporter,
        homeDir: PANIC_FIX_HOME,
        workDir: path.join(tmp, 'work', 'sandboxes'),
        artifactsRoot: path.join(tmp, 'work', 'artifacts'),
        ...(opts.quick ? { location: panics[0]!.panic_location } : {}),
        onProgress: (e) => {
          const now = Date.now();
          if (!starts.has(e.location)) starts.set(e.location, now - e.elapsedMs);
          ends.set(e.location, now);
          events.push({ at: now, what: `${e.phase}${e.status ? ` → ${e.status}` : ''}` });
          if (e.status)
            process.stdout.write(`  [${sec(now - passStart, 0)}] ${e.location}: ${e.phase} → ${e.status}\n`);
        },
      });
      wallMs = Date.now() - passStart;
    } finally {
      store.close();
      await model.close();
    }
    const passEnd = passStart + wallMs;
    for (const p of result.panics)
      if (p.reason)
        process.stdout.write(`  ${p.location}: ${p.status} (${p.reason.split('\n')[0]?.slice(0, 300)})\n`);
    const intervals = await readIntervals(log);
    const targetRuns = intervals.filter((i) => i.kind === 'target');
    const agentRuns = intervals.filter((i) => i.kind === 'agent');
    if (targetRuns.length === 0 || agentRuns.length === 0)
      throw new Error(
        'the timing wrappers saw no target command or no agent session; the measurement would be wrong',
      );

    const perPanic = result.panics.map((p) => {
      const start = starts.get(p.location) ?? passStart;
      const end = ends.get(p.location) ?? passEnd;
      const window = end - start;
      const targetMs = covered(targetRuns, start, end);
      const agentMs = covered(agentRuns, start, end);
      const excluded = covered(intervals, start, end);
      return {
        location: p.location,
        status: p.status,
        wallMs: window,
        targetMs,
        agentMs,
        overheadMs: window - excluded,
        overheadPct: (100 * (window - excluded)) / window,
        phaseMs: p.phaseMs,
        largestGaps: gaps(intervals, start, end, events),
      };
    });
    const firstStart = Math.min(...perPanic.map((p) => starts.get(p.location) ?? passEnd), passEnd);
    const preflightWall = firstStart - passStart;
    const preflightOverhead = preflightWall - covered(intervals, passStart, firstStart);
    const totalOverhead = wallMs - covered(intervals, passStart, passEnd);
    const n = Math.max(1, perPanic.length);
    const meanOverhead = perPanic.reduce((a, p) => a + p.overheadMs, 0) / n;
    const meanWall = perPanic.reduce((a, p) => a + p.wallMs, 0) / n;
    const meanPct = (100 * meanOverhead) / meanWall;
    const perPanicWithPreflight = totalOverhead / n;
    const sims = targetRuns.length;
    for (const p of perPanic)
      process.stdout.write(
        `  ${p.location}: ${p.status}; wall ${sec(p.wallMs, 1)}, target ${sec(p.targetMs, 1)}, agent ${sec(p.agentMs, 1)}, overhead ${sec(p.overheadMs)} (${p.overheadPct.toFixed(1)} %)\n`,
      );
    return {
      name: 'p1-orchestration-overhead',
      id: 'P1',
      title: 'orchestration overhead per panic',
      target: '≤ 1 s and ≤ 3 % per panic',
      measured: `${sec(meanOverhead)} per panic = ${meanPct.toFixed(1)} % of its ${sec(meanWall, 1)} (mean of ${perPanic.length}); with preflight's share ${sec(perPanicWithPreflight)}`,
      pass: meanOverhead <= 1_000 && meanPct <= 3,
      details: {
        wallMs,
        totalOverheadMs: totalOverhead,
        preflight: { wallMs: preflightWall, overheadMs: preflightOverhead },
        perPanic,
        skipped: result.skipped,
        targetCommands: sims,
        agentSessions: agentRuns.length,
        agentSessionMs: agentRuns.map((a) => Math.round(a.end - a.start)),
      },
      notes: [
        'overhead = wall time − union of (target commands: make/cargo incl. the simulator, tests and builds; agent sessions: the claude CLI process with its model), per panic window (reproduce → ship)',
        'the MCP tools server runs inside the agent sessions, so its start-up counts as agent time; the scripted model answers at once, so agent time is mostly the CLI itself',
        `preflight (once per run): wall ${sec(preflightWall, 1)}, overhead ${sec(preflightOverhead)}; ${sims} target commands and ${agentRuns.length} agent sessions timed`,
        'wrapper cost (two `date` calls per command) is counted as target time; panics run one at a time so windows do not overlap',
      ],
    };
  } finally {
    process.env = savedEnv;
    await removeDir(tmp);
  }
}

await runStandalone(import.meta.url, benchOrchestrationOverhead);
