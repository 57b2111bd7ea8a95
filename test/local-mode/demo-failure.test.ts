// `npm run demo` exits non-zero when a panic does not reach its expected state: the scripted
// reproducer is sabotaged (PANIC_FIX_DEMO_SABOTAGE=1) so no panic gets a seed.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runDemo } from './harness.js';

let dir: string | undefined;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

it('exits 1 and lists what went wrong', async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pf-local-demo-fail-'));
  const run = await runDemo(dir, { PANIC_FIX_DEMO_SABOTAGE: '1' });
  expect(run.code, run.out.slice(-4000)).toBe(1);
  expect(run.out).toMatch(/^▶ model: scripted model on \S+ \(sabotaged: never reproduces\)/m);
  expect(run.out).toMatch(/^DEMO FAILED:$/m);
  expect(run.out).toMatch(/^ {2}- core\/storage\/btree\.rs:25:9: needs_human_review, expected pr_open/m);
}, 200_000);
