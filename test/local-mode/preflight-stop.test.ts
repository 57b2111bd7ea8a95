// Stops and failures around preflight (the base build, here a configurable `sleep`): a drain lets
// the build finish and claims nothing for good; a kill ends the build's process group and claims
// nothing; a polling run survives a failing pass and tries again.
import { afterEach, expect, it } from 'vitest';
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

const slowBuild = (seconds: number) => ({
  target: { validationSeeds: 4, buildCommand: ['sleep', String(seconds)], testCommand: ['true'] },
});

it('SIGTERM during the preflight build: build finishes, nothing starts, exit 0', async () => {
  layout = await prepareLayout({ name: 'pre-drain', properties: slowBuild(3) });
  const l = layout;
  const cli = spawnRun(l, ['--once']);
  await waitFor('the preflight build', () => /preflight build: sleep 3/.test(cli.stdout()), 60_000, cli);
  cli.child.kill('SIGTERM');
  const exit = await waitFor('exit', () => cli.status(), 60_000, cli);
  expect(exit, cli.stderr()).toEqual({ code: 0, signal: null });
  expect(parseProgress(cli.stdout()).events).toEqual([]);
  await expectReleased(l);
});

it('second SIGTERM during the preflight build: the build is killed, exit 1, nothing claimed', async () => {
  layout = await prepareLayout({ name: 'pre-kill', properties: slowBuild(60) });
  const l = layout;
  const cli = spawnRun(l, ['--once']);
  await waitFor('the preflight build', () => /preflight build: sleep 60/.test(cli.stdout()), 60_000, cli);
  // The build runs in the target checkout, which is under the test's directory.
  await waitFor(
    'the build process',
    async () => (await processesMentioning(l.dir)).some((p) => p.includes('sleep 60')),
    10_000,
    cli,
  );
  cli.child.kill('SIGTERM');
  await sleep(1_000); // a separate signal, not a copy of the first
  cli.child.kill('SIGTERM');
  const exit = await waitFor('exit', () => cli.status(), 30_000, cli);
  expect(exit.code, cli.stderr()).toBe(1);
  expect(cli.stderr()).toMatch(/stopped by a second signal/);
  expect(cli.stderr()).not.toMatch(/does not pass preflight/);
  expect(await processesMentioning(l.dir)).toEqual([]);
  await expectReleased(l);
});

it('polling: a failing pass is reported and retried, SIGTERM still stops it cleanly', async () => {
  layout = await prepareLayout({
    name: 'pre-fail',
    properties: { target: { validationSeeds: 4, buildCommand: ['false'], testCommand: ['true'] } },
  });
  const l = layout;
  const cli = spawnRun(l, ['--poll-seconds', '1']);
  await waitFor(
    'two failed passes',
    () => (cli.stdout().match(/^ERROR: pass failed: .*does not pass preflight/gm) ?? []).length >= 2,
    60_000,
    cli,
  );
  expect(cli.status()).toBeUndefined();
  cli.child.kill('SIGTERM');
  const exit = await waitFor('exit', () => cli.status(), 30_000, cli);
  expect(exit, cli.stderr()).toEqual({ code: 0, signal: null });
  await expectReleased(l);
});
