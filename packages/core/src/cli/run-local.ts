import path from 'node:path';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import {
  runLocalPass,
  Shutdown,
  type LocalRunResult,
  type PanicRunReport,
  type ProgressEvent,
} from '../local/orchestrator.js';
import { errorText } from '../pipeline/job.js';
import { consoleReporter } from '../pipeline/reporter.js';
import { PanicStore } from '../store/panic-store.js';
import { formatTable } from './table.js';
import { DEFAULT_LOCAL_DB, localDatabaseUrl } from './database-option.js';

import { PANIC_FIX_HOME } from '../home.js';

export async function loadLocalConfig(opts: {
  configFile: string;
  db?: string;
  env: NodeJS.ProcessEnv;
  cwd: string;
}): Promise<Config> {
  // One read of the file: --db wins over TURSO_URL and the file, which win over the local default.
  const config = await loadConfig({
    file: path.resolve(opts.cwd, opts.configFile),
    env: opts.env,
    defaults: { tursoUrl: DEFAULT_LOCAL_DB },
    overrides: opts.db ? { tursoUrl: opts.db } : {},
  });
  return { ...config, tursoUrl: await localDatabaseUrl(config.tursoUrl, opts.cwd) };
}

/** A real PR's URL; for a dry run the PR body file (what a PR would have said); else why not. */
function resultCell(p: PanicRunReport, baseDir: string): string {
  if (p.prUrl && !p.prUrl.startsWith('dry-run:')) return p.prUrl;
  if (p.prBodyFile) {
    const relative = path.relative(baseDir, p.prBodyFile);
    return relative.length < p.prBodyFile.length ? relative : p.prBodyFile;
  }
  return p.prUrl ?? p.reason?.split('\n')[0]?.slice(0, 80) ?? '';
}

/** The final table; file paths are shown relative to `baseDir` (the work directory). */
export function resultTable(result: LocalRunResult, baseDir = process.cwd()): string {
  const rows = result.panics.map((p) => [
    p.location,
    p.status,
    p.failingSeed ?? '',
    resultCell(p, baseDir),
    p.costUsd === undefined ? '' : `$${p.costUsd.toFixed(2)}`,
    ...(['reproduce', 'fix', 'ship'] as const).map((k) =>
      p.phaseMs[k] === undefined ? '' : `${(p.phaseMs[k]! / 1000).toFixed(1)}s`,
    ),
  ]);
  for (const s of result.skipped)
    rows.push([s.location, 'skipped', '', s.reason.slice(0, 80), '', '', '', '']);
  return formatTable(
    ['location', 'state', 'seed', 'PR / PR body file / reason', 'cost', 'reproduce', 'fix', 'ship'],
    rows,
  );
}

/** `[12s] core/x.rs:1:2: fix → shipping (budget left 1187 s, $0.61)`. */
export function progressLine(e: ProgressEvent): string {
  const extras = [
    e.budgetLeftMs === undefined
      ? undefined
      : `${e.status ? 'budget left' : 'budget'} ${Math.round(e.budgetLeftMs / 1000)} s`,
    e.costUsd === undefined ? undefined : `$${e.costUsd.toFixed(2)}`,
  ].filter((x) => x !== undefined);
  return (
    `[${(e.elapsedMs / 1000).toFixed(0)}s] ${e.location}: ${e.phase}${e.status ? ` → ${e.status}` : ''}` +
    (extras.length ? ` (${extras.join(', ')})` : '')
  );
}

/**
 * `panic-fix run`: passes of preflight → reproduce → fix → ship until stopped (or one pass with
 * --once). First signal drains, second kills; see Shutdown. The command exits 0 when it finished or
 * drained cleanly (every claim released, nothing left mid-pipeline), 1 after a kill or a failed
 * --once pass; a polling run reports a failed pass and polls again.
 */
export async function runLocal(opts: {
  config: Config;
  once: boolean;
  pollMs: number;
  location?: string;
  workDir: string;
  shutdown: Shutdown;
  out: (text: string) => void;
}): Promise<LocalRunResult[]> {
  const store = await PanicStore.open(opts.config.tursoUrl, opts.config.tursoAuthToken);
  // Job summaries (PR bodies and tables) go to files and the final table, not the console.
  const reporter = { ...consoleReporter('', (line) => opts.out(`${line}\n`)), summary: () => undefined };
  const results: LocalRunResult[] = [];
  try {
    for (;;) {
      let result: LocalRunResult;
      try {
        result = await runLocalPass({
          config: opts.config,
          store,
          reporter,
          homeDir: PANIC_FIX_HOME,
          workDir: path.join(opts.workDir, 'sandboxes'),
          artifactsRoot: path.join(opts.workDir, 'artifacts'),
          shutdown: opts.shutdown,
          ...(opts.location ? { location: opts.location } : {}),
          onProgress: (e) => opts.out(`${progressLine(e)}\n`),
        });
      } catch (error) {
        // One pass failing (base does not build, database unreachable) ends a --once run; a polling
        // run reports it and tries again at the next poll, like the scheduled workflow would.
        if (opts.once || opts.shutdown.killed) throw error;
        opts.out(
          `ERROR: pass failed: ${errorText(error)}\nnext pass in ${Math.round(opts.pollMs / 1000)} s\n`,
        );
        await sleepUnlessDraining(opts.pollMs, opts.shutdown);
        if (opts.shutdown.draining) return results;
        continue;
      }
      results.push(result);
      if (result.panics.length + result.skipped.length > 0)
        opts.out(`${resultTable(result, opts.workDir)}(files relative to ${opts.workDir})\n`);
      if (opts.once || opts.shutdown.draining) return results;
      await sleepUnlessDraining(opts.pollMs, opts.shutdown);
      if (opts.shutdown.draining) return results;
    }
  } finally {
    store.close();
  }
}

async function sleepUnlessDraining(ms: number, shutdown: Shutdown): Promise<void> {
  const until = Date.now() + ms;
  while (!shutdown.draining && Date.now() < until)
    await new Promise((r) => setTimeout(r, Math.min(200, until - Date.now())));
}

export { Shutdown };
