// `panic-fix run --once` as a real process on the demo layout: every planted panic reaches its
// expected state, one at a time when maxParallelPanics is 1, and a dry run pushes nothing.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedStatus } from '../../packages/testkit/src/demo/prepare.js';
import { parseProgress, prepareLayout, spawnRun, stranded, type Layout, type RunningCli } from './harness.js';

describe('panic-fix run --once (maxParallelPanics 1, dry run)', () => {
  let layout: Layout;
  let cli: RunningCli;
  let exit: { code: number | null; signal: NodeJS.Signals | null };

  beforeAll(async () => {
    layout = await prepareLayout({ name: 'once', properties: { maxParallelPanics: 1, dryRun: true } });
    cli = spawnRun(layout, ['--once']);
    exit = await cli.exited;
  }, 240_000);
  afterAll(async () => layout?.close());

  it('exits 0 with every planted panic in its expected state', async () => {
    expect(exit, cli.stderr().slice(-3000)).toEqual({ code: 0, signal: null });
    const rows = await layout.rows();
    expect(
      Object.fromEntries(rows.map((r) => [r.panic_location, r.status])),
      cli.stdout().slice(-3000),
    ).toEqual(Object.fromEntries(layout.panics.map((p) => [p.panic_location, expectedStatus(p)])));
    expect(stranded(rows)).toEqual([]);
    for (const p of layout.panics.filter((q) => q.reference))
      expect(rows.find((r) => r.panic_location === p.panic_location)?.failing_seed).toBe(
        String(p.reference!.seed),
      );
  });

  it('never runs two panics at once', () => {
    const progress = parseProgress(cli.stdout());
    // Four claimable panics (one is skipped at preflight), each started exactly once.
    expect(progress.started('reproduce').sort()).toEqual(
      layout.panics
        .filter((p) => expectedStatus(p) !== 'skipped')
        .map((p) => p.panic_location)
        .sort(),
    );
    expect(progress.maxInFlight).toBe(1);
  });

  it('dry run: PR bodies written, nothing pushed to origin', async () => {
    const rows = await layout.rows();
    const open = rows.filter((r) => r.status === 'pr_open');
    expect(open).toHaveLength(3);
    for (const r of open) expect(r.pr_url).toMatch(/^dry-run:\/\//);
    const origin = (JSON.parse(readFileSync(layout.configFile, 'utf8')) as { pushRemote: string }).pushRemote;
    const refs = execFileSync('git', ['ls-remote', '--heads', origin], { encoding: 'utf8' });
    expect(
      refs.split('\n').filter((l) => l.includes('refs/heads/') && !l.endsWith('refs/heads/main')),
    ).toEqual([]);
    const bodies = [...cli.stdout().matchAll(/body in (\S+pr-body\.md)/g)].map((m) => m[1]!);
    expect(bodies).toHaveLength(3);
    for (const b of bodies) expect(existsSync(b)).toBe(true);
  });

  it('prints progress with phase, elapsed and budget, and the final table with cost', () => {
    const out = cli.stdout();
    expect(out).toMatch(/^\[\d+s\] core\/storage\/btree\.rs:25:9: reproduce \(budget \d+ s\)$/m);
    expect(out).toMatch(
      /^\[\d+s\] core\/storage\/btree\.rs:25:9: reproduce → fixing \(budget left \d+ s, \$\d+\.\d\d\)$/m,
    );
    expect(out).toMatch(
      /^\[\d+s\] core\/storage\/btree\.rs:25:9: fix → shipping \(budget left \d+ s, \$\d+\.\d\d\)$/m,
    );
    expect(out).toMatch(/^\[\d+s\] core\/storage\/btree\.rs:25:9: ship → pr_open$/m);
    expect(out).toMatch(/^location +state +seed +PR \/ PR body file \/ reason +cost +reproduce +fix +ship$/m);
    expect(out).toMatch(
      /^core\/storage\/btree\.rs:25:9 +pr_open +17 +artifacts\/\S+\/pr-body\.md +\$\d+\.\d\d +\d+\.\ds +\d+\.\ds +\d+\.\ds$/m,
    );
    // Reporter lines say which panic they are about.
    expect(out).toMatch(/^core\/translate\/lexer\.rs:46:25 │ reproducer agent, attempt 1\/2, budget \d+ s$/m);
  });
});
