/**
 * P3: preflight at an already-verified base commit versus the first run. runPreflight on the example
 * target (a fresh git checkout, nothing built) with a `file:` libSQL database: the first run builds and
 * tests the base; the second finds the verdict for (commit, build/test commands) and does neither.
 */
import path from 'node:path';
import { configSchema } from '../packages/core/src/config/schema.js';
import { runPreflight } from '../packages/core/src/pipeline/preflight.js';
import { PanicStore } from '../packages/core/src/store/panic-store.js';
import { materialiseTarget } from '../packages/testkit/src/target-repo/index.js';
import {
  benchTmp,
  median,
  ms,
  quietReporter,
  removeDir,
  runStandalone,
  sec,
  timed,
  type BenchOptions,
  type BenchResult,
} from './lib.js';

export async function benchPreflightCache(opts: BenchOptions): Promise<BenchResult> {
  const cachedRuns = opts.quick ? 3 : 5;
  const tmp = await benchTmp('p3');
  try {
    const target = await materialiseTarget({ dir: path.join(tmp, 'target') });
    const config = configSchema.parse({
      tursoUrl: `file:${path.join(tmp, 'panic-fix.db')}`,
      baseRepoPath: target.repo,
      githubRepo: 'example/turso-target',
      prReviewer: '',
      ipcPort: 0,
    });
    const store = await PanicStore.open(config.tursoUrl);
    try {
      const once = () => runPreflight({ config, store, owner: 'bench-p3', reporter: quietReporter });
      process.stdout.write('P3: first preflight (build + tests of a fresh checkout)…\n');
      const first = await timed(once);
      if (first.result.verdict.cached) throw new Error('the first preflight found a cached verdict');
      process.stdout.write(`  ${sec(first.ms)}\n`);
      const again: number[] = [];
      for (let i = 0; i < cachedRuns; i++) {
        const run = await timed(once);
        if (!run.result.verdict.cached)
          throw new Error('a repeated preflight did not use the cached verdict');
        again.push(run.ms);
      }
      const cachedMs = median(again);
      process.stdout.write(`  cached: ${again.map((t) => ms(t, 0)).join(', ')}\n`);
      return {
        name: 'p3-preflight-cache',
        id: 'P3',
        title: 'preflight at an already-verified base commit',
        target: '≤ 1 s',
        measured: `${ms(cachedMs, 0)} (median of ${cachedRuns}) vs first run ${sec(first.ms, 1)} (${(first.ms / cachedMs).toFixed(0)}× faster)`,
        pass: cachedMs <= 1_000,
        details: {
          firstMs: first.ms,
          firstBuildAndTestMs: first.result.verdict.durationMs,
          cachedMs: again,
          medianCachedMs: cachedMs,
          baseCommit: first.result.baseCommit,
        },
        notes: [
          'first run = clean cargo build of the example target + its tests; a real Turso build takes far longer, the cached run does not depend on it',
          'the cached run still verifies the base checkout (HEAD, clean `git status`) and reclaims expired leases',
        ],
      };
    } finally {
      store.close();
    }
  } finally {
    await removeDir(tmp);
  }
}

await runStandalone(import.meta.url, benchPreflightCache);
