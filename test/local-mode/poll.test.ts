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

it('polls, picks up a panic enqueued later, then stops on SIGINT with exit 0', async () => {
  // Only the panic the skip gate rejects at first: the first pass claims nothing.
  layout = await prepareLayout({ name: 'poll', enqueue: (p) => p.kind === 'unimplemented' });
  const l = layout;
  const cli = spawnRun(l, ['--poll-seconds', '1']);
  await waitFor(
    'the first pass',
    () => (/^\S+ +skipped /m.test(cli.stdout()) ? true : undefined),
    120_000,
    cli,
  );
  expect(cli.status()).toBeUndefined();

  const late = l.panics.find((p) => p.kind === 'index')!;
  await l.enqueue(late);
  await waitFor(
    'the late panic to be fixed',
    async () =>
      (await l.rows()).find((r) => r.panic_location === late.panic_location)?.status === 'pr_open'
        ? true
        : undefined,
    150_000,
    cli,
  );
  expect(cli.status()).toBeUndefined(); // still polling
  cli.child.kill('SIGINT');
  const exit = await waitFor('exit after SIGINT', () => cli.status(), 30_000, cli);
  expect(exit, cli.stderr().slice(-3000)).toEqual({ code: 0, signal: null });

  expect(parseProgress(cli.stdout()).started('reproduce')).toEqual([late.panic_location]);
  const rows = await l.rows();
  expect(stranded(rows)).toEqual([]);
  expect(rows.find((r) => r.panic_location === late.panic_location)).toMatchObject({
    status: 'pr_open',
    failing_seed: String(late.reference!.seed),
    attempt: 1,
  });
  expect(await processesMentioning(l.dir)).toEqual([]);
}, 240_000);
