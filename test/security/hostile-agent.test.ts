// A hung or hostile `claude`: it ignores SIGTERM, forks children that ignore it too, and floods stdout
// (valid stream-json, junk, one endless line). runAgent must end the whole process group within the
// grace period, keep its own memory bounded while reading the flood, and leave a valid, capped transcript.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAgent, type AgentWrap } from '../../packages/core/src/agent/run-agent.js';
import { LineSplitter } from '../../packages/core/src/agent/stream-json.js';

const MB = 1024 * 1024;

/**
 * The fake agent (CommonJS, spawned as `claude`). argv after the script name is Claude Code's; the
 * behaviour comes from HOSTILE_MODE / HOSTILE_DIR in its environment (passed through extraEnv, whose
 * names the allow-list does not know: so they come through the sandbox wrap instead).
 */
const FAKE_CLAUDE = `#!/usr/bin/env node
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const dir = process.env.HOSTILE_DIR;
const mode = process.env.HOSTILE_MODE;
const target = Number(process.env.HOSTILE_BYTES);
process.on('SIGTERM', () => fs.appendFileSync(path.join(dir, 'sigterm-' + process.pid), 'x'));
fs.writeFileSync(path.join(dir, 'pid-parent'), String(process.pid));
// Children (and a grandchild) that ignore SIGTERM too; child-b shares our stdout, so the pipe stays open.
const child = path.join(dir, 'child.cjs');
spawn(process.execPath, [child, 'child-a', 'fork'], { stdio: 'ignore' });
spawn(process.execPath, [child, 'child-b'], { stdio: ['ignore', 'inherit', 'inherit'] });
// 'escape': a child in its own session (out of the process group), holding our stdout open.
if (mode === 'escape') spawn(process.execPath, [child, 'escaped'], { stdio: ['ignore', 'inherit', 'inherit'], detached: true });

const filler = 'y'.repeat(64 * 1024);
const event = JSON.stringify({ type: 'assistant', message: { content: [{ type: 'text', text: filler }] } }) + '\\n';
const junk = '<<not json ' + filler + '\\n';
let written = 0;
const out = (text) => {
  // Synchronous on a pipe: the flood goes as fast as the runner reads.
  fs.writeSync(1, text);
  written += Buffer.byteLength(text);
};
out(JSON.stringify({ type: 'system', subtype: 'init', session_id: 'hostile' }) + '\\n');
if (mode === 'endless-line') {
  out('{"type":"assistant","message":{"content":[{"type":"text","text":"');
  while (written < target) out(filler);
} else {
  for (let i = 0; written < target; i++) out(i % 4 === 3 ? junk : event);
}
// Report the flood done only once every child has recorded its pid (the test checks each of them).
const children = ['child-a', 'child-b', 'grandchild'].concat(mode === 'escape' ? ['escaped'] : []);
for (const until = Date.now() + 30000; Date.now() < until; ) {
  if (children.every((name) => fs.existsSync(path.join(dir, 'pid-' + name)))) break;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
}
fs.writeFileSync(path.join(dir, 'flooded'), String(written));
// Then hang, ignoring SIGTERM.
setInterval(() => undefined, 1000);
`;

/** A child of the fake agent: ignores SIGTERM, records its pid, optionally forks a grandchild like itself. */
const FAKE_CHILD = `'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const [name, fork] = process.argv.slice(2);
process.on('SIGTERM', () => undefined);
fs.writeFileSync(path.join(process.env.HOSTILE_DIR, 'pid-' + name), String(process.pid));
if (fork) spawn(process.execPath, [__filename, 'grandchild'], { stdio: 'ignore' });
setInterval(() => undefined, 1000);
`;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'hostile-agent-'));
});
afterEach(async () => {
  // Belt and braces: nothing of ours may outlive the test, whatever it asserted.
  for (const pid of recordedPids()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await rm(dir, { recursive: true, force: true });
});

function recordedPids(): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.startsWith('pid-'))
    .map((name) => Number(readFileSync(path.join(dir, name), 'utf8')))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

/** Alive = /proc has it and it is not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Every live process in process group `pgid`, from /proc. */
function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') members.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return members;
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

async function runHostile(mode: 'events' | 'endless-line' | 'escape', floodBytes: number) {
  const fake = path.join(dir, 'claude');
  await writeFile(fake, FAKE_CLAUDE);
  await chmod(fake, 0o755);
  await writeFile(path.join(dir, 'child.cjs'), FAKE_CHILD);
  const wrap: AgentWrap = (argv, { env }) => ({
    argv,
    cwd: dir,
    env: { ...env, HOSTILE_DIR: dir, HOSTILE_MODE: mode, HOSTILE_BYTES: String(floodBytes) },
  });
  const killGraceMs = 1_500;
  const transcriptLimitBytes = 2 * MB;
  const controller = new AbortController();
  let abortedAt = 0;
  let peakRss = 0;
  global.gc?.();
  const baselineRss = process.memoryUsage().rss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 20);
  // Stop it once the whole flood has been read (not at a time: the machine may be slow).
  const stopper = setInterval(() => {
    if (!abortedAt && existsSync(path.join(dir, 'flooded'))) {
      abortedAt = Date.now();
      controller.abort();
    }
  }, 20);
  let summaries = 0;
  try {
    const result = await runAgent({
      wrap,
      claudePath: fake,
      prompt: 'hello',
      mcpServer: { command: 'true', args: [], env: {} },
      budgetMs: 10 * 60_000,
      killGraceMs,
      workDir: dir,
      transcriptLimitBytes,
      signal: controller.signal,
      onSummary: () => summaries++,
    });
    const returnedAt = Date.now();
    return {
      result,
      abortedAt,
      returnedAt,
      killGraceMs,
      transcriptLimitBytes,
      baselineRss,
      peakRss,
      summaries,
    };
  } finally {
    clearInterval(sampler);
    clearInterval(stopper);
  }
}

async function expectNoSurvivors(pid: number | undefined) {
  expect(pid).toBeTypeOf('number');
  const pids = recordedPids();
  // parent, child-a, child-b, grandchild
  expect(pids.length).toBe(4);
  expect(await waitFor(() => pids.every((p) => !alive(p)), 5_000), `survivors: ${pids.filter(alive)}`).toBe(
    true,
  );
  expect(groupMembers(pid!)).toEqual([]);
  // They really ignored SIGTERM: the parent recorded it and kept running until SIGKILL.
  expect(readdirSync(dir).some((name) => name.startsWith('sigterm-'))).toBe(true);
}

function transcriptLines(text: string): { type: string }[] {
  const lines = text.split('\n');
  expect(lines.pop()).toBe('');
  return lines.map((line) => JSON.parse(line) as { type: string });
}

/** Figures for the README when PANIC_FIX_SECURITY_FIGURES is set. */
function figures(label: string, run: Awaited<ReturnType<typeof runHostile>>, flooded: number) {
  if (!process.env.PANIC_FIX_SECURITY_FIGURES) return;
  process.stdout.write(
    `${label}: flooded ${(flooded / MB).toFixed(0)} MB, rss growth ${((run.peakRss - run.baselineRss) / MB).toFixed(1)} MB, ` +
      `stop→return ${run.returnedAt - run.abortedAt} ms (grace ${run.killGraceMs} ms)\n`,
  );
}

describe('LineSplitter', () => {
  it('drops an over-long line whole, in any chunking, and keeps the lines around it', () => {
    const lines: string[] = [];
    const dropped: number[] = [];
    const splitter = new LineSplitter((line) => lines.push(line), {
      maxLineChars: 10,
      onOversized: (chars) => dropped.push(chars),
    });
    for (const chunk of ['{"a":1}\n0123', '456789', 'abcdef', 'XYZ\n{"b"', ':2}\n', '0123456789x'])
      splitter.push(chunk);
    splitter.flush();
    expect(lines).toEqual(['{"a":1}', '{"b":2}']);
    expect(dropped).toEqual([19, 11]);
  });
});

describe('a hostile agent', () => {
  it('flooding stream-json and junk: killed with its group, memory bounded, transcript capped', async () => {
    const flood = 200 * MB;
    const run = await runHostile('events', flood);
    const { result } = run;
    const flooded = Number(readFileSync(path.join(dir, 'flooded'), 'utf8'));
    figures('stream-json flood', run, flooded);
    expect(flooded).toBeGreaterThanOrEqual(flood);
    expect(result.outcome).toBe('crashed');
    expect(result.signal).toBe('SIGKILL');
    // Within the grace period after the stop, plus generous slack for a loaded machine.
    expect(run.returnedAt - run.abortedAt).toBeLessThan(run.killGraceMs + 10_000);
    await expectNoSurvivors(result.pid);
    // Reading 200 MB must not hold it: the bound is generous, the point is that it is not O(flood).
    expect(run.peakRss - run.baselineRss).toBeLessThan(120 * MB);
    const transcript = await readFile(result.transcriptFile, 'utf8');
    expect(Buffer.byteLength(transcript)).toBeLessThanOrEqual(run.transcriptLimitBytes + 1024);
    const types = transcriptLines(transcript).map((e) => e.type);
    expect(types[0]).toBe('system');
    expect(types).toContain('panic_fix_raw_output');
    expect(types.at(-1)).toBe('panic_fix_transcript_truncated');
    expect(result.transcriptTruncated).toBe(true);
  });

  it('one endless line without a newline: still read in bounded memory, killed, transcript valid', async () => {
    const flood = 200 * MB;
    const run = await runHostile('endless-line', flood);
    const { result } = run;
    const flooded = Number(readFileSync(path.join(dir, 'flooded'), 'utf8'));
    figures('endless line', run, flooded);
    expect(flooded).toBeGreaterThanOrEqual(flood);
    expect(result.outcome).toBe('crashed');
    expect(run.returnedAt - run.abortedAt).toBeLessThan(run.killGraceMs + 10_000);
    await expectNoSurvivors(result.pid);
    expect(run.peakRss - run.baselineRss).toBeLessThan(120 * MB);
    const transcript = await readFile(result.transcriptFile, 'utf8');
    expect(Buffer.byteLength(transcript)).toBeLessThanOrEqual(run.transcriptLimitBytes + 1024);
    const events = transcriptLines(transcript);
    expect(events[0]!.type).toBe('system');
    // The oversized line is recorded as dropped, not kept whole and not cut into invalid JSON.
    expect(events.map((e) => e.type)).toContain('panic_fix_line_dropped');
  });

  it('a child that leaves the process group and keeps stdout open does not hang the runner', async () => {
    const run = await runHostile('escape', 1 * MB);
    expect(run.result.outcome).toBe('crashed');
    // Returns soon after the group is gone, although the escaped child still holds the pipe.
    expect(run.returnedAt - run.abortedAt).toBeLessThan(run.killGraceMs + 10_000);
    const escaped = Number(readFileSync(path.join(dir, 'pid-escaped'), 'utf8'));
    // What the process group could reach is gone; the escaped one is beyond it (afterEach ends it).
    for (const name of ['parent', 'child-a', 'child-b', 'grandchild']) {
      const pid = Number(readFileSync(path.join(dir, `pid-${name}`), 'utf8'));
      expect(await waitFor(() => !alive(pid), 5_000), name).toBe(true);
    }
    expect(alive(escaped)).toBe(true);
    const transcript = await readFile(run.result.transcriptFile, 'utf8');
    expect(transcriptLines(transcript)[0]!.type).toBe('system');
  });
});
