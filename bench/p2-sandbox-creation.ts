/**
 * P2: sandbox creation time versus base tree size, per backend, against a plain `cp -a` of the tree.
 * Each tree is a git repo with committed random files (5 %) and an ignored `target/` build dir (95 %).
 * "ready" = createSandbox plus the first command run inside it (`true`), i.e. until the tree is usable
 * (the overlay backend mounts lazily, per command).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { sandboxSchema } from '../packages/core/src/config/schema.js';
import { createSandbox } from '../packages/core/src/sandbox/create.js';
import type { SandboxBackendName } from '../packages/core/src/sandbox/types.js';
import {
  availableBackends,
  benchTmp,
  makeTree,
  median,
  ms,
  removeDir,
  runStandalone,
  sizeLabel,
  timed,
  treeSizes,
  treeSpec,
  type BenchOptions,
  type BenchResult,
} from './lib.js';

interface Row {
  size: string;
  bytes: number;
  trackedBytes: number;
  backend: SandboxBackendName | 'cp -a';
  createMs: number;
  readyMs: number;
  /** cp -a time / ready time. */
  speedup: number;
}

export async function benchSandboxCreation(opts: BenchOptions): Promise<BenchResult> {
  const sizes = treeSizes(opts);
  const reps = opts.quick ? 3 : 5;
  const tmp = await benchTmp('p2');
  const workDir = path.join(tmp, 'work');
  const { backends, absent } = await availableBackends(workDir);
  const rows: Row[] = [];
  try {
    for (const size of sizes) {
      const spec = treeSpec(size);
      process.stdout.write(
        `P2: building a ${sizeLabel(size)} tree (${sizeLabel(spec.trackedBytes)} committed)…\n`,
      );
      const tree = await makeTree(path.join(tmp, `tree-${size}`), spec);
      // Baseline: a plain copy (page cache warm from writing the tree, which favours the copy).
      const copies: number[] = [];
      for (let i = 0; i < Math.min(reps, 3); i++) {
        const dest = path.join(tmp, `copy-${i}`);
        const t = await timed(async () => execFileSync('cp', ['-a', '--', tree.dir, dest]));
        copies.push(t.ms);
        await removeDir(dest);
      }
      const copyMs = median(copies);
      // Flush the copies' writeback now, so it does not land on the sandbox timings below.
      execFileSync('sync');
      rows.push({
        size: sizeLabel(size),
        bytes: size,
        trackedBytes: spec.trackedBytes,
        backend: 'cp -a',
        createMs: copyMs,
        readyMs: copyMs,
        speedup: 1,
      });
      for (const backend of backends) {
        const config = sandboxSchema.parse({ backend, workDir });
        const creates: number[] = [];
        const readies: number[] = [];
        for (let i = 0; i < reps; i++) {
          const id = `p2-${backend}-${i}-${process.pid}`;
          const t0 = performance.now();
          const sandbox = await createSandbox(config, {
            baseRepo: tree.dir,
            baseSha: tree.sha,
            id,
            baseVerifiedClean: true,
            log: () => undefined,
          });
          const created = performance.now();
          const first = await sandbox.run(['true'], { timeoutMs: 60_000 });
          const ready = performance.now();
          if (first.exitCode !== 0) throw new Error(`${backend}: first command failed: ${first.tail}`);
          creates.push(created - t0);
          readies.push(ready - t0);
          await sandbox.destroy();
        }
        const readyMs = median(readies);
        rows.push({
          size: sizeLabel(size),
          bytes: size,
          trackedBytes: spec.trackedBytes,
          backend,
          createMs: median(creates),
          readyMs,
          speedup: copyMs / readyMs,
        });
      }
      for (const r of rows.filter((r) => r.bytes === size))
        process.stdout.write(
          `  ${r.backend.padEnd(9)} ready ${ms(r.readyMs).padStart(10)}  (${r.speedup.toFixed(1)}× vs cp -a)\n`,
        );
      await removeDir(tree.dir);
    }
  } finally {
    await removeDir(tmp);
  }

  const largest = sizes.at(-1)!;
  const smallest = sizes[0]!;
  const headline = (backend: string) => {
    const big = rows.find((r) => r.backend === backend && r.bytes === largest)!;
    const small = rows.find((r) => r.backend === backend && r.bytes === smallest)!;
    return { big, small, growth: big.readyMs / small.readyMs };
  };
  const best = backends.includes('overlay') ? 'overlay' : backends[0]!;
  const h = headline(best);
  // "Flat": the largest tree costs at most twice (plus 50 ms of noise) the smallest.
  const flat = h.big.readyMs <= 2 * h.small.readyMs + 50;
  const perBackend = backends.map((b) => {
    const x = headline(b);
    return `${b} ${ms(x.small.readyMs, 0)} → ${ms(x.big.readyMs, 0)} (${x.big.speedup.toFixed(0)}× vs cp -a at ${sizeLabel(largest)})`;
  });
  return {
    name: 'p2-sandbox-creation',
    id: 'P2',
    title: 'sandbox creation vs base tree size',
    target: `flat in tree size; ≥ 100× faster than cp -a at ${sizeLabel(largest)}`,
    measured: perBackend.join('; '),
    pass: flat && h.big.speedup >= 100,
    details: { sizes: sizes.map(sizeLabel), reps, rows, absent },
    notes: [
      `verdict on the ${best} backend (the default where available)`,
      ...absent.map((a) => `backend not measured: ${a}`),
      'worktree checks out the committed files, so it grows with the tracked size (not with target/); overlay touches nothing',
      'cp -a measured with a warm page cache (favours the copy)',
    ],
  };
}

await runStandalone(import.meta.url, benchSandboxCreation);
