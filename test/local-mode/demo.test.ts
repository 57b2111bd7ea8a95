// `npm run demo` (scripts/demo.ts) as a real process, twice in the same directory (idempotent).
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plantedPanics } from '../../packages/testkit/src/target-repo/index.js';
import { expectedStatus } from '../../packages/testkit/src/demo/prepare.js';
import { processesMentioning, REPO_ROOT, runDemo, type DemoRun } from './harness.js';

describe('npm run demo', () => {
  let dir: string;
  const runs: DemoRun[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pf-local-demo-'));
    runs.push(await runDemo(dir));
    runs.push(await runDemo(dir));
  }, 300_000);
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('succeeds twice in the same directory', () => {
    for (const run of runs) {
      expect(run.code, run.out.slice(-4000)).toBe(0);
      expect(run.out).toMatch(/^demo ok: every panic reached the state it should\.$/m);
    }
  });

  it('says which model and sandbox backend it used', () => {
    for (const run of runs) {
      expect(run.out).toMatch(/^▶ model: scripted model on http:\/\/127\.0\.0\.1:\d+/m);
      expect(run.out).toMatch(/^▶ sandbox: (overlay|worktree|agentfs) \(/m);
    }
  });

  it('shows progress per panic and phase with elapsed time and budget', async () => {
    const panics = await plantedPanics();
    const out = runs[1]!.out;
    for (const p of panics) {
      const loc = p.panic_location.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const want = expectedStatus(p);
      if (want === 'skipped') continue;
      expect(out).toMatch(new RegExp(`^\\[\\d+s\\] ${loc}: reproduce \\(budget \\d+ s\\)$`, 'm'));
      if (want === 'pr_open') {
        expect(out).toMatch(new RegExp(`^\\[\\d+s\\] ${loc}: fix \\(budget \\d+ s\\)$`, 'm'));
        expect(out).toMatch(
          new RegExp(`^\\[\\d+s\\] ${loc}: fix → shipping \\(budget left \\d+ s, \\$\\d+\\.\\d\\d\\)$`, 'm'),
        );
        expect(out).toMatch(new RegExp(`^\\[\\d+s\\] ${loc}: ship → pr_open$`, 'm'));
      } else {
        expect(out).toMatch(
          new RegExp(`^\\[\\d+s\\] ${loc}: reproduce → ${want} \\(budget left \\d+ s`, 'm'),
        );
      }
    }
    expect(out).toMatch(/^parallel panics observed: 2 \(maxParallelPanics 2\)$/m);
  });

  it('ends with the table and the PR body files', async () => {
    const panics = await plantedPanics();
    const out = runs[1]!.out;
    expect(out).toMatch(/^location +state +seed +PR \/ PR body file \/ reason +cost +reproduce +fix +ship$/m);
    for (const p of panics)
      expect(out).toMatch(
        new RegExp(`^${p.panic_location.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} +${expectedStatus(p)} `, 'm'),
      );
    const bodies = [...out.matchAll(/^PR body for \S+: (\S+)$/gm)].map((m) => path.resolve(REPO_ROOT, m[1]!));
    expect(bodies).toHaveLength(panics.filter((p) => expectedStatus(p) === 'pr_open').length);
    for (const b of bodies) {
      expect(b.startsWith(dir)).toBe(true);
      expect(existsSync(b)).toBe(true);
    }
    expect(out).toMatch(/^agent cost: \$\d+\.\d{4} /m);
    expect(await processesMentioning(dir)).toEqual([]);
  });
});
