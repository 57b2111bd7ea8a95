// `panic-fix run` without --once keeps polling: a panic enqueued while it runs is picked up on a
// later pass, and SIGINT while it waits stops it cleanly.
import { afterEach, expect, it } from 'vitest';
import {
  parseProgress,
  prepareLayout,
  processesMentioning,
  spawnRun,
  stranded,
  waitFor,
  type Layout,
} from './harness.js';

let layout: Layout | undefined;
afterEach(async () => {
  await layout?.close();
  layout = undefined;
});

it('polls, picks up panics enqueued later (panicsPerRun per pass), then stops on SIGINT with exit 0', async () => {
  // Only the panic the skip gate rejects at first: the first pass claims nothing.
  layout = await prepareLayout({
    name: 'poll',
    enqueue: (p) => p.kind === 'unimplemented',
    // One panic per pass although two could run in parallel: panicsPerRun must win.
    properties: { panicsPerRun: 1, maxParallelPanics: 2 },
  });
  const l = layout;
  const cli = spawnRun(l, ['--poll-seconds', '1']);
  await waitFor('the first pass', () => /^\S+ +skipped /m.test(cli.stdout()), 120_000, cli);
  expect(cli.status()).toBeUndefined();

  const late = l.panics.filter((p) => p.kind === 'index' || p.kind === 'assert');
  expect(late).toHaveLength(2);
  for (const p of late) await l.enqueue(p);
  await waitFor(
    'the late panics to be fixed',
    async () => {
      const rows = await l.rows();
      return late.every((p) => rows.find((r) => r.panic_location === p.panic_location)?.status === 'pr_open');
    },
    150_000,
    cli,
  );
  expect(cli.status()).toBeUndefined(); // still polling
  cli.child.kill('SIGINT');
  const exit = await waitFor('exit after SIGINT', () => cli.status(), 30_000, cli);
  expect(exit, cli.stderr().slice(-3000)).toEqual({ code: 0, signal: null });

  const progress = parseProgress(cli.stdout());
  expect(progress.started('reproduce').sort()).toEqual(late.map((p) => p.panic_location).sort());
  expect(progress.maxInFlight).toBe(1);
  const rows = await l.rows();
  expect(stranded(rows)).toEqual([]);
  for (const p of late)
    expect(rows.find((r) => r.panic_location === p.panic_location)).toMatchObject({
      status: 'pr_open',
      failing_seed: String(p.reference!.seed),
      attempt: 1,
    });
  expect(await processesMentioning(l.dir)).toEqual([]);
}, 240_000);
