// Two-stage stop of `panic-fix run` as a real process. The scripted model answers slowly so the
// signals land while agents are working. First signal: no new panics, in-flight ones finish their
// phase and give their claims back, exit 0. Second signal: agents' process groups die, claims are
// given back, exit non-zero. Either way nothing stays in an intermediate state.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  parseProgress,
  prepareLayout,
  processesMentioning,
  sleep,
  spawnRun,
  expectReleased,
  waitFor,
  type Layout,
} from './harness.js';

let layout: Layout | undefined;
afterEach(async () => {
  await layout?.close();
  layout = undefined;
});

async function sandboxesLeft(layout: Layout): Promise<string[]> {
  const entries = await readdir(path.join(layout.workDir, 'sandboxes')).catch(() => [] as string[]);
  return entries.filter((e) => e.startsWith('panic-') && !e.endsWith('.json'));
}

describe('panic-fix run: signals', () => {
  it('first SIGTERM drains: in-flight panics finish their phase, then release their claims; exit 0', async () => {
    layout = await prepareLayout({
      name: 'drain',
      properties: { maxParallelPanics: 2 },
      model: { turnDelayMs: 700 },
    });
    const l = layout;
    const cli = spawnRun(l, ['--once']);
    const reproducing = await waitFor(
      'a panic in reproducing',
      async () => (await l.rows()).find((r) => r.status === 'reproducing')?.panic_location,
      120_000,
      cli,
    );
    cli.child.kill('SIGTERM');
    const exit = await waitFor('the drain to finish', () => cli.status(), 120_000, cli);
    expect(exit, cli.stderr().slice(-3000)).toEqual({ code: 0, signal: null });
    expect(cli.stderr()).toMatch(/SIGTERM: finishing the current phase/);

    const progress = parseProgress(cli.stdout());
    const started = progress.started('reproduce');
    expect(started).toContain(reproducing);
    // Only the panics already running when the signal came (maxParallelPanics 2) ever started…
    expect(started.length).toBeGreaterThanOrEqual(1);
    expect(started.length).toBeLessThanOrEqual(2);
    // …they finished the phase they were in (reproduce → fixing) and started no other.
    for (const location of started)
      expect(progress.events.map((e) => e.line)).toContainEqual(
        expect.stringMatching(new RegExp(`^\\[\\d+s\\] ${escape(location)}: reproduce → fixing`)),
      );
    expect(progress.started('fix')).toEqual([]);

    // Everything claimable went back to pending unconsumed, the in-flight ones after their phase.
    const rows = await expectReleased(l);
    expect(rows.find((r) => r.panic_location === reproducing)?.failing_seed).toMatch(/^\d+$/);
    expect(await sandboxesLeft(l)).toEqual([]);
    expect(await processesMentioning(l.dir)).toEqual([]);
  }, 200_000);

  it('second SIGTERM kills the agents at once, releases claims and exits non-zero', async () => {
    layout = await prepareLayout({
      name: 'kill',
      properties: { maxParallelPanics: 2 },
      // Slow enough that the agents are mid-turn when the signals arrive.
      model: { turnDelayMs: 5_000 },
    });
    const l = layout;
    const cli = spawnRun(l, ['--once']);
    await waitFor('an agent session', () => /│ session started/.test(cli.stdout()), 120_000, cli);
    expect(await processesMentioning(l.dir)).not.toEqual([]);
    cli.child.kill('SIGTERM');
    await sleep(1_000); // a separate signal, not a copy of the first
    cli.child.kill('SIGTERM');
    // Well under one scripted turn (5 s) plus the agents' kill grace (3 s) and clean-up.
    const exit = await waitFor(
      'the process to exit after the second signal',
      () => cli.status(),
      30_000,
      cli,
    );
    expect(exit.code, cli.stderr().slice(-3000)).toBe(1);
    expect(cli.stderr()).toMatch(/SIGTERM again: stopping agents/);
    expect(cli.stderr()).toMatch(/stopped by a second signal/);

    // No claude, MCP server or simulator process of this run is left.
    expect(
      await waitFor(
        'processes to go',
        async () => ((await processesMentioning(l.dir)).length ? undefined : []),
        10_000,
      ),
    ).toEqual([]);
    await expectReleased(l);
    expect(parseProgress(cli.stdout()).started('fix')).toEqual([]);
    expect(await sandboxesLeft(l)).toEqual([]);
  }, 200_000);

  it('second SIGTERM during the fix phase: fixer killed, claims released, nothing left', async () => {
    layout = await prepareLayout({
      name: 'killfix',
      properties: { maxParallelPanics: 1 },
      enqueue: (p) => p.kind === 'assert',
      model: { turnDelayMs: 1_500 },
    });
    const l = layout;
    const cli = spawnRun(l, ['--once']);
    await waitFor(
      'a fixer session',
      () => /▶ \S+ │ fixer agent \(attempt 1\)[\s\S]*│ session started/.test(cli.stdout()),
      150_000,
      cli,
    );
    expect((await l.rows())[0]?.status).toBe('fixing');
    cli.child.kill('SIGTERM');
    await sleep(1_000); // a separate signal, not a copy of the first
    cli.child.kill('SIGTERM');
    const exit = await waitFor('exit after the second signal', () => cli.status(), 30_000, cli);
    expect(exit.code, cli.stderr().slice(-3000)).toBe(1);
    expect(
      await waitFor(
        'processes to go',
        async () => ((await processesMentioning(l.dir)).length ? undefined : []),
        10_000,
      ),
    ).toEqual([]);
    await expectReleased(l, (p) => p.kind === 'assert');
    expect(parseProgress(cli.stdout()).started('ship')).toEqual([]);
    expect(await sandboxesLeft(l)).toEqual([]);
  }, 200_000);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
