/**
 * Shared plumbing of the benchmarks: the --quick flag, temp dirs, result files and their summary.
 * Benchmarks print ratios measured in one run; they are never unit tests (no timing assertions anywhere).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sandboxSchema } from '../packages/core/src/config/schema.js';
import type { Reporter } from '../packages/core/src/pipeline/reporter.js';
import { probeBackends } from '../packages/core/src/sandbox/detect.js';
import type { SandboxBackendName } from '../packages/core/src/sandbox/types.js';

export const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(BENCH_DIR, '..');
export const RESULTS_DIR = path.join(BENCH_DIR, 'results');

export interface BenchOptions {
  /** Smaller sizes / fewer repetitions, for a quick look. */
  quick: boolean;
}

export interface BenchResult {
  /** File name stem: bench/results/<name>.json. */
  name: string;
  id: 'P1' | 'P2' | 'P3' | 'P4' | 'P5' | 'P6';
  title: string;
  /** The issue's target, in words. */
  target: string;
  /** The headline figure, in words. */
  measured: string;
  /** Whether the headline figure meets the target. */
  pass: boolean;
  /** Anything else measured (printed as JSON in the results file). */
  details: unknown;
  /** Caveats the reader must know to judge the figure. */
  notes: string[];
}

export interface BenchRecord extends BenchResult {
  quick: boolean;
  date: string;
  machine: {
    cpus: number;
    cpuModel: string;
    memGiB: number;
    kernel: string;
    node: string;
    loadAvg: number[];
  };
  wallMs: number;
}

export function parseOptions(argv: readonly string[] = process.argv.slice(2)): BenchOptions {
  return { quick: argv.includes('--quick') };
}

export function machine(): BenchRecord['machine'] {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    // Other work on the machine skews timings: recorded so a reader can judge the figures.
    loadAvg: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** A fresh temp dir (realpath: overlayfs and git compare resolved paths). */
export async function benchTmp(prefix: string): Promise<string> {
  return realpath(await mkdtemp(path.join(os.tmpdir(), `panic-fix-bench-${prefix}-`)));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** A reporter that prints nothing: the pipeline's own logging stays out of the timings. */
export const quietReporter: Reporter = {
  log: () => undefined,
  group: (_title, fn) => fn(),
  summary: () => undefined,
  annotate: () => undefined,
  mask: () => undefined,
};

export const sec = (ms: number, digits = 2) => `${(ms / 1000).toFixed(digits)} s`;
export const ms = (value: number, digits = 1) => `${value.toFixed(digits)} ms`;

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const t0 = performance.now();
  const result = await fn();
  return { result, ms: performance.now() - t0 };
}

export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export const GIT_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'panic-fix bench',
  GIT_AUTHOR_EMAIL: 'bench@panic-fix.invalid',
  GIT_COMMITTER_NAME: 'panic-fix bench',
  GIT_COMMITTER_EMAIL: 'bench@panic-fix.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

export function git(cwd: string, args: readonly string[]): string {
  return execFileSync('git', args, {
    cwd,
    env: GIT_ENV,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

export const MB = 1024 * 1024;

export interface TreeSpec {
  /** Bytes in committed files (16 KiB each, like sources). */
  trackedBytes: number;
  /** Bytes in the ignored, untracked `target/` build dir (1 MiB files, like build products). */
  buildBytes: number;
}

/**
 * A Rust-checkout-shaped git repository: random-content committed files under src/, plus an ignored
 * `target/` holding the bulk (as a built Turso checkout does). Every file's content is distinct, so
 * neither git nor a copy can deduplicate.
 */
export async function makeTree(dir: string, spec: TreeSpec): Promise<{ dir: string; sha: string }> {
  await mkdir(dir, { recursive: true });
  git(dir, ['init', '-q', '-b', 'main']);
  // No background `gc --auto` repacking loose objects while a copy or a sandbox reads the repository.
  git(dir, ['config', 'gc.auto', '0']);
  const srcFile = 16 * 1024;
  const srcCount = Math.max(1, Math.round(spec.trackedBytes / srcFile));
  for (let i = 0; i < srcCount; i++) {
    const sub = path.join(dir, 'src', `m${Math.floor(i / 256)}`);
    if (i % 256 === 0) await mkdir(sub, { recursive: true });
    await writeFile(path.join(sub, `f${i}.rs`), randomBytes(srcFile));
  }
  await writeFile(path.join(dir, '.gitignore'), '/target/\n');
  await writeFile(path.join(dir, 'README.md'), '# bench tree\n');
  git(dir, ['add', '-A']);
  git(dir, ['commit', '-q', '-m', 'bench tree']);
  // Build products: one random MiB, each file made unique by its own random first 64 bytes.
  const bulk = randomBytes(MB);
  const buildCount = Math.round(spec.buildBytes / MB);
  for (let i = 0; i < buildCount; i++) {
    const sub = path.join(dir, 'target', 'debug', 'deps', `d${Math.floor(i / 64)}`);
    if (i % 64 === 0) await mkdir(sub, { recursive: true });
    randomBytes(64).copy(bulk, 0);
    await writeFile(path.join(sub, `lib${i}.rlib`), bulk);
  }
  return { dir, sha: git(dir, ['rev-parse', 'HEAD']) };
}

/** Splits a total tree size like a Rust checkout: 5 % committed sources (all of it when tiny), the rest build output. */
export function treeSpec(totalBytes: number): TreeSpec {
  if (totalBytes <= 4 * MB) return { trackedBytes: totalBytes, buildBytes: 0 };
  const trackedBytes = Math.round(totalBytes * 0.05);
  return { trackedBytes, buildBytes: totalBytes - trackedBytes };
}

export const sizeLabel = (bytes: number) =>
  bytes >= 1024 * MB
    ? `${(bytes / 1024 / MB).toFixed(bytes % (1024 * MB) ? 1 : 0)} GB`
    : `${Math.round(bytes / MB)} MB`;

/** Writes bench/results/<name>.json and prints the human summary. */
export async function report(result: BenchResult, opts: BenchOptions, wallMs: number): Promise<BenchRecord> {
  const record: BenchRecord = {
    ...result,
    quick: opts.quick,
    date: new Date().toISOString(),
    machine: machine(),
    wallMs: Math.round(wallMs),
  };
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(path.join(RESULTS_DIR, `${result.name}.json`), `${JSON.stringify(record, null, 2)}\n`);
  const lines = [
    '',
    `${result.id} ${result.title}${opts.quick ? ' (--quick)' : ''}`,
    `  target:   ${result.target}`,
    `  measured: ${result.measured}`,
    `  verdict:  ${result.pass ? 'PASS' : 'MISS'}`,
    ...result.notes.map((n) => `  note: ${n}`),
    `  (${sec(wallMs, 1)}; JSON in ${path.relative(process.cwd(), path.join(RESULTS_DIR, `${result.name}.json`))})`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
  return record;
}

/** Runs a benchmark when its file is executed directly (`npx tsx bench/<name>.ts [--quick]`). */
export async function runStandalone(
  moduleUrl: string,
  bench: (opts: BenchOptions) => Promise<BenchResult>,
): Promise<void> {
  if (path.resolve(process.argv[1] ?? '') !== fileURLToPath(moduleUrl)) return;
  const opts = parseOptions();
  const t0 = performance.now();
  try {
    const result = await bench(opts);
    await report(result, opts, performance.now() - t0);
  } catch (error) {
    process.stderr.write(
      `benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  }
}

/** P2 and P6 sweep the same base tree sizes (`--quick` stops at 500 MB). */
export function treeSizes(opts: BenchOptions): number[] {
  return opts.quick ? [1 * MB, 100 * MB, 500 * MB] : [1 * MB, 100 * MB, 2048 * MB];
}

/** The sandbox backends that work here, and why each other one does not. */
export async function availableBackends(
  workDir: string,
): Promise<{ backends: SandboxBackendName[]; absent: string[] }> {
  const probes = await probeBackends(sandboxSchema.parse({}), { workDir });
  return {
    backends: probes.filter((p) => p.available).map((p) => p.backend),
    absent: probes.filter((p) => !p.available).map((p) => `${p.backend}: ${p.detail}`),
  };
}
