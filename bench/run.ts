/**
 * `npm run bench [-- --quick] [-- P2 P4 …]`: runs every benchmark (each in its own process, as
 * `npx tsx bench/<file>.ts` would) one after the other, then prints target vs measured and PASS/MISS.
 */
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  BENCH_DIR,
  formatTable,
  parseOptions,
  REPO_ROOT,
  RESULTS_DIR,
  sec,
  type BenchRecord,
} from './lib.js';

export const BENCHMARKS = [
  { id: 'P1', file: 'p1-orchestration-overhead' },
  { id: 'P2', file: 'p2-sandbox-creation' },
  { id: 'P3', file: 'p3-preflight-cache' },
  { id: 'P4', file: 'p4-parallel-validation' },
  { id: 'P5', file: 'p5-budget-clock' },
  { id: 'P6', file: 'p6-artifact-size' },
] as const;

function runOne(file: string, quick: boolean): Promise<number> {
  const tsx = path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');
  const argv = [tsx, path.join(BENCH_DIR, `${file}.ts`), ...(quick ? ['--quick'] : [])];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { cwd: REPO_ROOT, stdio: 'inherit' });
    child.on('close', (code) => resolve(code ?? 1));
    child.on('error', () => resolve(1));
  });
}

async function main(): Promise<number> {
  const opts = parseOptions();
  const only = process.argv
    .slice(2)
    .filter((a) => /^P\d$/i.test(a))
    .map((a) => a.toUpperCase());
  const selected = BENCHMARKS.filter((b) => only.length === 0 || only.includes(b.id));
  const t0 = performance.now();
  const rows: string[][] = [];
  let failures = 0;
  for (const bench of selected) {
    const resultFile = path.join(RESULTS_DIR, `${bench.file}.json`);
    await rm(resultFile, { force: true });
    process.stdout.write(`\n━━ ${bench.id} (${bench.file}${opts.quick ? ', --quick' : ''})\n`);
    const code = await runOne(bench.file, opts.quick);
    const record = await readFile(resultFile, 'utf8')
      .then((text) => JSON.parse(text) as BenchRecord)
      .catch(() => undefined);
    if (code !== 0 || !record) {
      failures++;
      rows.push([bench.id, bench.file, '', `did not complete (exit ${code})`, 'ERROR']);
      continue;
    }
    rows.push([record.id, record.title, record.target, record.measured, record.pass ? 'PASS' : 'MISS']);
  }
  process.stdout.write(
    `\nBenchmarks${opts.quick ? ' (--quick)' : ''}, ${new Date().toISOString()}, total ${sec(performance.now() - t0, 0)}\n`,
  );
  process.stdout.write(`${formatTable(['id', 'benchmark', 'target', 'measured', 'verdict'], rows)}\n`);
  process.stdout.write(`JSON: ${path.relative(process.cwd(), RESULTS_DIR)}/<name>.json\n`);
  // A MISS is a finding, not a failure; only a benchmark that could not run fails the command.
  return failures > 0 ? 1 : 0;
}

process.exitCode = await main();
