// Shared set-up for the local-mode tests: the demo layout in a unique temp dir, `panic-fix run` as a
// real child process, a database watcher, and a /proc scan for processes left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { ACTIVE_STATUSES } from '../../packages/core/src/state/machine.js';
import { PanicStore } from '../../packages/core/src/store/panic-store.js';
import type { PanicRow } from '../../packages/core/src/store/rows.js';
import {
  prepareDemo,
  type DemoModel,
  type StartModelOptions,
} from '../../packages/testkit/src/demo/prepare.js';
import type { PlantedPanic } from '../../packages/testkit/src/target-repo/index.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ENTRY = path.join(REPO_ROOT, 'packages', 'core', 'src', 'cli', 'entry.ts');

export interface Layout {
  dir: string;
  configFile: string;
  workDir: string;
  tursoUrl: string;
  panics: PlantedPanic[];
  model: DemoModel;
  /** Reads the rows (retrying while the child holds a write lock). */
  rows(): Promise<PanicRow[]>;
  enqueue(panic: PlantedPanic): Promise<void>;
  close(): Promise<void>;
}

/** The demo layout (example target + bare origin, `file:` DB, scripted model) under a unique dir. */
export async function prepareLayout(opts: {
  name: string;
  properties?: Record<string, unknown>;
  enqueue?: (panic: PlantedPanic) => boolean;
  model?: StartModelOptions;
}): Promise<Layout> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `pf-local-${opts.name}-`));
  const demo = await prepareDemo({
    dir,
    log: () => undefined,
    ...(opts.enqueue ? { enqueue: opts.enqueue } : {}),
  });
  const model = await demo.startModel({ ...opts.model, applyToProcessEnv: false });
  const properties = { ...demo.properties, ...opts.properties };
  const configFile = path.join(dir, 'properties.json');
  await writeFile(configFile, `${JSON.stringify(properties, null, 2)}\n`);
  const store = await PanicStore.open(demo.properties.tursoUrl);
  return {
    dir,
    configFile,
    workDir: path.join(dir, 'work'),
    tursoUrl: demo.properties.tursoUrl,
    panics: demo.panics,
    model,
    rows: () => retry(() => store.list()),
    enqueue: async (p) => {
      await retry(() =>
        store.enqueue({
          panic_location: p.panic_location,
          panic_message: p.panic_message,
          sql_statements: p.sql_statements,
        }),
      );
    },
    close: async () => {
      store.close();
      await model.close();
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}

async function retry<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (error) {
      if (i >= 50) throw error;
      await sleep(100);
    }
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RunningCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The exit, once the process has exited and its output is read; undefined before. */
  status(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

/** `panic-fix run …` as a child process (entry.ts through tsx, so signals reach the CLI itself). */
export function spawnRun(layout: Layout, args: string[]): RunningCli {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', ENTRY, 'run', '--config', layout.configFile, '--work-dir', layout.workDir, ...args],
    { cwd: REPO_ROOT, env: { ...process.env, ...layout.model.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  let status: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve((status = { code, signal }))),
  );
  return { child, stdout: () => out, stderr: () => err, exited, status: () => status };
}

/** Polls `check` until it returns a value (not undefined or false); fails with `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  cli?: RunningCli,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until)
      throw new Error(
        `timed out waiting for ${what}${cli ? `\n--- stdout tail:\n${cli.stdout().slice(-4000)}\n--- stderr tail:\n${cli.stderr().slice(-2000)}` : ''}`,
      );
    await sleep(150);
  }
}

/** Rows still in an intermediate state, or still claimed: what must never be left after a stop. */
export function stranded(rows: PanicRow[]): string[] {
  return rows
    .filter((r) => ACTIVE_STATUSES.includes(r.status) || r.claim_owner !== null)
    .map((r) => `${r.panic_location}: ${r.status} (owner ${r.claim_owner ?? '-'})`);
}

/**
 * After a stop: nothing stranded, and each selected panic (default: every one the skip gate lets
 * through) back to pending, unclaimed, its attempt not consumed. Returns the rows for more checks.
 */
export async function expectReleased(
  l: Layout,
  which: (p: PlantedPanic) => boolean = (p) => p.kind !== 'unimplemented',
): Promise<PanicRow[]> {
  const rows = await l.rows();
  expect(stranded(rows)).toEqual([]);
  for (const p of l.panics.filter(which))
    expect(
      rows.find((r) => r.panic_location === p.panic_location),
      p.panic_location,
    ).toMatchObject({ status: 'pending', claim_owner: null, attempt: 0 });
  return rows;
}

/** Live processes (other than this one) whose command line, environment or cwd mention `marker`. */
export async function processesMentioning(marker: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const base = path.join('/proc', name);
    const read = (file: string) => readFile(path.join(base, file), 'utf8').catch(() => '');
    const cmdline = (await read('cmdline')).replace(/\0/g, ' ').trim();
    const stat = await read('stat');
    if (/^\d+ \(.*\) Z/.test(stat)) continue; // a zombie holds nothing; its parent reaps it
    const environ = await read('environ');
    const cwd = await readlink(path.join(base, 'cwd')).catch(() => '');
    if (cmdline.includes(marker) || environ.includes(marker) || cwd.includes(marker))
      found.push(`${name}: ${cmdline.slice(0, 200)}`);
  }
  return found;
}

/**
 * Progress lines (`[Ns] <location>: <phase>[ → <status>]…`) in order: which panics started a phase,
 * which phases ended in which status, and the most panics in flight at once.
 */
export function parseProgress(stdout: string) {
  const events: { location: string; phase: string; status?: string; line: string }[] = [];
  for (const line of stdout.split('\n')) {
    const m = /^\[\d+s\] (\S+): (reproduce|fix|ship)(?: → (\w+))?(?: \(.*\))?$/.exec(line);
    if (m) events.push({ location: m[1]!, phase: m[2]!, ...(m[3] ? { status: m[3] } : {}), line });
  }
  const inFlight = new Set<string>();
  let maxInFlight = 0;
  for (const e of events) {
    if (!e.status) inFlight.add(e.location);
    else if (!['fixing', 'shipping'].includes(e.status)) inFlight.delete(e.location);
    maxInFlight = Math.max(maxInFlight, inFlight.size);
  }
  return {
    events,
    maxInFlight,
    started: (phase: string) => events.filter((e) => e.phase === phase && !e.status).map((e) => e.location),
  };
}

/** `npm run demo` (scripts/demo.ts through tsx) in `dir`, always on the scripted model. */
export interface DemoRun {
  code: number | null;
  out: string;
}

export function runDemo(dir: string, extraEnv: Record<string, string> = {}): Promise<DemoRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, PANIC_FIX_DEMO_DIR: dir, ...extraEnv };
  // The demo must use the scripted model here, whatever the machine's environment says.
  delete env.ANTHROPIC_API_KEY;
  delete env.ANTHROPIC_BASE_URL;
  delete env.PANIC_FIX_DEMO_SABOTAGE;
  Object.assign(env, extraEnv);
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'scripts', 'demo.ts')], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, out })));
}
