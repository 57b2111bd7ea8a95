import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startBudgetClock } from '../../packages/core/src/clock/server.js';
import { validationSeeds } from '../../packages/core/src/sim/seeds.js';
import { toolsEnv } from '../../packages/core/src/tools-env.js';
import {
  baseContext,
  call,
  connect,
  ensureBundle,
  fake,
  fakeTarget,
  makeWorkspace,
  text,
  type Workspace,
} from './helpers.js';

let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.map((close) => close()));
  closers = [];
});

beforeAll(() => {
  ensureBundle();
});

async function open(ws: Workspace) {
  const session = await connect(ws.settings);
  closers.push(session.close);
  return session.client;
}

/** Running or sleeping; a zombie (killed, not yet reaped by a PID 1 that never reaps) counts as dead. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

describe('the built MCP server', () => {
  it('lists its four tools with their input schemas', async () => {
    const client = await open(await makeWorkspace());
    expect(client.getServerVersion()?.name).toBe('panic-fix');
    const { tools } = await client.listTools();
    const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool]));
    expect(Object.keys(byName).sort()).toEqual([
      'describe-fix',
      'describe-sim-fix',
      'run-simulator',
      'validate-fix',
    ]);
    expect(Object.keys(byName['run-simulator']!.inputSchema.properties ?? {}).sort()).toEqual([
      'seed',
      'timeout_seconds',
    ]);
    expect(byName['run-simulator']!.inputSchema.required ?? []).toEqual([]);
    expect(byName['describe-sim-fix']!.inputSchema.required?.sort()).toEqual([
      'failing_seed',
      'what_was_added',
      'why_simulator_missed',
    ]);
    expect(byName['describe-fix']!.inputSchema.required?.sort()).toEqual([
      'bug_description',
      'fix_description',
    ]);
    expect(byName['validate-fix']!.inputSchema.required).toEqual(['failing_seed']);
    // u64 seeds: an integer or a decimal string.
    const seed = JSON.stringify(byName['validate-fix']!.inputSchema.properties?.failing_seed);
    expect(seed).toContain('integer');
    expect(seed).toContain('string');
  });

  it('refuses to start without its environment', () => {
    const run = spawnSync(process.execPath, [ensureBundle()], {
      env: { PATH: process.env.PATH },
      encoding: 'utf8',
      input: '',
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/environment is incomplete: .*panicLocation/);
  });
});

describe('run-simulator', () => {
  it('reports the target panic with its seed, location and a bounded tail; full output in a file', async () => {
    const ws = await makeWorkspace();
    await fake(ws, 'panic-seeds', '18446744073709551615\n');
    const client = await open(ws);
    const result = await call(client, 'run-simulator', { seed: '18446744073709551615' });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      seed: '18446744073709551615',
      panic_found: true,
      matches_target: true,
      kind: 'panic',
      location: 'core/vdbe/execute.rs:100:5',
      message: 'assertion failed: cursor is valid',
      exit_code: 1,
      clock: 'not_configured',
    });
    expect(text(result)).toMatch(/^Target panic reproduced with seed 18446744073709551615/);
    const sc = result.structuredContent as { output_file: string; output_tail: string };
    expect(sc.output_file.startsWith(ws.outputDir)).toBe(true);
    expect(await readFile(sc.output_file, 'utf8')).toContain('captured backtrace:');
  });

  it('tells a different panic (with line drift) from the target, and a clean run from both', async () => {
    const ws = await makeWorkspace();
    await fake(ws, 'panic-seeds', '7\n');
    await fake(ws, 'location', 'core/vdbe/execute.rs:103:5\n');
    const client = await open(ws);
    const other = await call(client, 'run-simulator', { seed: 7 });
    expect(other.isError).toBeFalsy();
    expect(other.structuredContent).toMatchObject({
      panic_found: true,
      matches_target: false,
      line_drift: 3,
    });
    const clean = await call(client, 'run-simulator', { seed: 8 });
    expect(clean.isError).toBeFalsy();
    expect(clean.structuredContent).toMatchObject({
      panic_found: false,
      matches_target: false,
      kind: 'none',
      exit_code: 0,
    });
  });

  it('picks and reports a random u64 seed when none is given', async () => {
    const ws = await makeWorkspace();
    const client = await open(ws);
    const result = await call(client, 'run-simulator', {});
    const seed = (result.structuredContent as { seed: string }).seed;
    expect(seed).toMatch(/^\d+$/);
    expect(BigInt(seed) < 2n ** 64n).toBe(true);
    expect(await readFile(path.join(ws.repo, '.fake', 'calls'), 'utf8')).toContain(`"--seed","${seed}"`);
  });

  it('reports a compile error as such, not as a panic', async () => {
    const ws = await makeWorkspace();
    await fake(ws, 'compile-error');
    const result = await call(await open(ws), 'run-simulator', { seed: 1 });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({
      kind: 'compile_error',
      panic_found: false,
      matches_target: false,
    });
    expect(text(result)).toMatch(/^Simulator did not build/);
  });

  it('kills a simulator hanging past its timeout, children included', async () => {
    const ws = await makeWorkspace();
    await fake(ws, 'hang');
    const result = await call(await open(ws), 'run-simulator', { seed: 1, timeout_seconds: 1 });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({ timed_out: true, kind: 'timeout' });
    const pids = (await readFile(path.join(ws.repo, '.fake', 'hang-pids'), 'utf8'))
      .trim()
      .split('\n')
      .map(Number);
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it('kills a running simulator when the client goes away', async () => {
    const ws = await makeWorkspace();
    await fake(ws, 'hang');
    const session = await connect(ws.settings);
    const pending = call(session.client, 'run-simulator', { seed: 1 }).catch(() => undefined);
    const pidsFile = path.join(ws.repo, '.fake', 'hang-pids');
    let pids: number[] = [];
    while (pids.length < 2) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      pids = (await readFile(pidsFile, 'utf8').catch(() => ''))
        .trim()
        .split('\n')
        .filter(Boolean)
        .map(Number);
    }
    await session.close();
    await pending;
    // The server ends its runs on stdin end; give the process group a moment to be reaped.
    for (let i = 0; i < 50 && pids.some(alive); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it('reports a missing simulator binary', async () => {
    const ws = await makeWorkspace({
      target: fakeTarget({ simulatorCommand: ['/nonexistent/limbo_sim', '--seed', '{seed}'] }),
    });
    const result = await call(await open(ws), 'run-simulator', { seed: 1 });
    expect(result.isError).toBe(true);
    expect(text(result)).toContain('program not found: /nonexistent/limbo_sim');
  });

  it.each([
    ['a negative seed', { seed: -1 }],
    ['a seed past u64', { seed: '18446744073709551616' }],
    ['a non-integer seed', { seed: 1.5 }],
    ['a seed past 2^53 as a number', { seed: 2 ** 64 }],
    ['a non-numeric seed', { seed: '12abc' }],
    ['an empty seed', { seed: '' }],
    ['a zero timeout', { seed: 1, timeout_seconds: 0 }],
    ['a timeout past the target maximum', { seed: 1, timeout_seconds: 10 ** 9 }],
  ])('rejects %s with a clear error and runs nothing', async (_label, args) => {
    const ws = await makeWorkspace();
    const result = await call(await open(ws), 'run-simulator', args);
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/Input validation error/);
    await expect(readFile(path.join(ws.repo, '.fake', 'calls'), 'utf8')).rejects.toThrow(/ENOENT/);
  });
});

describe('describe-sim-fix and describe-fix', () => {
  const awkward = "it's \"quoted\" — ünïcödé\nline two\r\n\ttab \\ backslash ENDJSON '$&' `cmd` $(x)\n";

  it('merge any text byte for byte into the context file, keeping what was there', async () => {
    const ws = await makeWorkspace();
    await fake(ws, 'panic-seeds', '42\n');
    const client = await open(ws);
    await call(client, 'run-simulator', { seed: 42 });
    const sim = await call(client, 'describe-sim-fix', {
      failing_seed: 42,
      why_simulator_missed: awkward,
      what_was_added: `${awkward}added a property`,
    });
    expect(sim.isError).toBeFalsy();
    expect(sim.structuredContent).toMatchObject({
      recorded: true,
      failing_seed: '42',
      seed_check: 'reproduced_target',
    });
    const fix = await call(client, 'describe-fix', {
      bug_description: awkward,
      fix_description: 'x'.repeat(20_000),
    });
    expect(fix.isError).toBeFalsy();
    const context = JSON.parse(await readFile(ws.contextFile, 'utf8')) as Record<string, unknown>;
    expect(context).toEqual({
      ...baseContext(),
      failing_seed: 42,
      why_simulator_missed: awkward,
      simulator_changes: `${awkward}added a property`,
      bug_description: awkward,
      fix_description: 'x'.repeat(20_000),
    });
  });

  it('keeps a u64 seed past 2^53 exactly, and says when the seed was never run here', async () => {
    const ws = await makeWorkspace();
    const result = await call(await open(ws), 'describe-sim-fix', {
      failing_seed: '18446744073709551615',
      why_simulator_missed: 'a',
      what_was_added: 'b',
    });
    expect(result.structuredContent).toMatchObject({ seed_check: 'not_run_here' });
    expect(JSON.parse(await readFile(ws.contextFile, 'utf8')).failing_seed).toBe('18446744073709551615');
  });

  it.each([
    ['describe-sim-fix', { failing_seed: 1, why_simulator_missed: '', what_was_added: 'b' }],
    ['describe-sim-fix', { failing_seed: 1, why_simulator_missed: ' \n\t', what_was_added: 'b' }],
    ['describe-sim-fix', { failing_seed: -5, why_simulator_missed: 'a', what_was_added: 'b' }],
    ['describe-sim-fix', { failing_seed: 1, why_simulator_missed: 'a', what_was_added: 'x'.repeat(1 << 20) }],
    ['describe-sim-fix', { why_simulator_missed: 'a', what_was_added: 'b' }],
    ['describe-fix', { bug_description: 'a', fix_description: '' }],
    ['describe-fix', { bug_description: 'y'.repeat(1 << 20), fix_description: 'b' }],
    ['describe-fix', { bug_description: 42, fix_description: 'b' }],
  ])('%s rejects bad input %# and leaves the context file untouched', async (tool, args) => {
    const ws = await makeWorkspace();
    const before = await readFile(ws.contextFile);
    const result = await call(await open(ws), tool, args);
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/Input validation error/);
    expect(await readFile(ws.contextFile)).toEqual(before);
  });

  it('fail clearly on a missing or corrupt context file, never leaving a half-written one', async () => {
    const ws = await makeWorkspace();
    const client = await open(ws);
    await rm(ws.contextFile);
    const missing = await call(client, 'describe-fix', { bug_description: 'a', fix_description: 'b' });
    expect(missing.isError).toBe(true);
    expect(text(missing)).toMatch(/cannot read the panic context file .*ENOENT/);
    await writeFile(ws.contextFile, '{"panic_location": "core/a.rs:1:1", "panic_mess');
    const corrupt = await call(client, 'describe-sim-fix', {
      failing_seed: 1,
      why_simulator_missed: 'a',
      what_was_added: 'b',
    });
    expect(corrupt.isError).toBe(true);
    expect(text(corrupt)).toMatch(/not valid JSON/);
    expect(await readFile(ws.contextFile, 'utf8')).toBe('{"panic_location": "core/a.rs:1:1", "panic_mess');
    await writeFile(ws.contextFile, JSON.stringify({ panic_location: 'core/a.rs:1:1' }));
    const invalid = await call(client, 'describe-fix', { bug_description: 'a', fix_description: 'b' });
    expect(invalid.isError).toBe(true);
    expect(text(invalid)).toMatch(/is invalid/);
    expect((await readdir(ws.dir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('survive concurrent calls: every write lands whole', async () => {
    const ws = await makeWorkspace();
    const client = await open(ws);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        call(client, 'describe-fix', { bug_description: `bug ${i}`, fix_description: `fix ${i}` }),
      ),
    );
    expect(results.every((r) => !r.isError)).toBe(true);
    const context = JSON.parse(await readFile(ws.contextFile, 'utf8')) as Record<string, string>;
    expect(context.bug_description?.replace('bug ', 'fix ')).toBe(context.fix_description);
  });
});

describe('validate-fix', () => {
  it('passes a fix: regression test, suite, failing seed, other seeds', async () => {
    const ws = await makeWorkspace();
    const result = await call(await open(ws), 'validate-fix', { failing_seed: 42 });
    expect(result.isError).toBeFalsy();
    const sc = result.structuredContent as { passed: boolean; steps: { step: string }[]; seeds: string[] };
    expect(sc.passed).toBe(true);
    expect(sc.steps.map((s) => s.step)).toEqual([
      'regression_test',
      'test_suite',
      'failing_seed',
      'other_seeds',
    ]);
    expect(sc.seeds).toEqual(['42', ...validationSeeds(42, 3)]);
    const calls = await readFile(path.join(ws.repo, '.fake', 'calls'), 'utf8');
    expect(calls.split('\n')[0]).toBe('["test-single","TEST=panic_core_vdbe_execute_rs_100.test"]');
  });

  it('fails when the failing seed still panics, saying which step and seed', async () => {
    const ws = await makeWorkspace();
    await fake(ws, 'panic-seeds', '42\n');
    const result = await call(await open(ws), 'validate-fix', { failing_seed: 42 });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toMatchObject({
      passed: false,
      failed_step: 'failing_seed',
      failed_seed: '42',
      skipped_steps: ['other_seeds'],
    });
    expect(text(result)).toMatch(
      /^Fix NOT validated: failing_seed: seed 42 failed \(panic at core\/vdbe\/execute.rs:100:5/,
    );
  });

  it('fails fast on the regression test, with its output tail', async () => {
    const ws = await makeWorkspace();
    await fake(ws, 'single-fails');
    const result = await call(await open(ws), 'validate-fix', { failing_seed: 1 });
    expect(result.isError).toBe(true);
    const sc = result.structuredContent as { failed_step: string; steps: { output_tail: string }[] };
    expect(sc.failed_step).toBe('regression_test');
    expect(sc.steps[0]?.output_tail).toContain('running TEST=panic_core_vdbe_execute_rs_100.test');
  });

  it('rejects a bad seed', async () => {
    const result = await call(await open(await makeWorkspace()), 'validate-fix', { failing_seed: 'nope' });
    expect(result.isError).toBe(true);
  });
});

describe('the budget clock', () => {
  it('hears every run, with the bearer token, and an unreachable clock is reported, not fatal', async () => {
    const heard: string[] = [];
    const server = createServer((req, res) => {
      heard.push(`${req.url?.replace(/runs\/[^/]+/, 'runs/ID')} ${req.headers.authorization}`);
      res.end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const token = 't'.repeat(40);
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const ws = await makeWorkspace({ clock: { url, token } });
      expect(toolsEnv(ws.settings).PANIC_FIX_CLOCK_URL).toBe(url);
      const client = await open(ws);
      const run = await call(client, 'run-simulator', { seed: 3 });
      expect(run.structuredContent).toMatchObject({ clock: 'reached' });
      expect(heard).toEqual([`/runs/ID/started Bearer ${token}`, `/runs/ID/finished Bearer ${token}`]);
      const validation = await call(client, 'validate-fix', { failing_seed: 3 });
      expect(validation.structuredContent).toMatchObject({ passed: true, clock: 'reached' });
      // regression test, suite, failing seed, 3 other seeds: 6 runs, each started and finished.
      expect(heard.filter((h) => h.startsWith('/runs/ID/started'))).toHaveLength(7);
      expect(heard.filter((h) => h.startsWith('/runs/ID/finished'))).toHaveLength(7);
    } finally {
      server.close();
    }
    const ws = await makeWorkspace({ clock: { url: 'http://127.0.0.1:1', token: 'u'.repeat(40) } });
    const run = await call(await open(ws), 'run-simulator', { seed: 3 });
    expect(run.isError).toBeFalsy();
    expect(run.structuredContent).toMatchObject({ clock: 'unreachable', panic_found: false });
    expect((run.structuredContent as { clock_error: string }).clock_error).toMatch(/unreachable/);
  });

  it('the real budget clock counts overlapping parallel runs and is left with none open', async () => {
    const clock = await startBudgetClock();
    try {
      const ws = await makeWorkspace({
        clock: { url: clock.url, token: clock.token },
        target: fakeTarget({ validationSeeds: 4 }),
      });
      const result = await call(await open(ws), 'validate-fix', { failing_seed: 11 });
      expect(result.structuredContent).toMatchObject({ passed: true, clock: 'reached' });
      const status = clock.status();
      // regression test + suite + failing seed + 4 seeds in parallel.
      expect(status).toMatchObject({ runsStarted: 7, runsFinished: 7, openRuns: 0 });
      expect(status.excludedMs).toBeGreaterThan(0);
    } finally {
      await clock.close();
    }
  });
});
