import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { runFix } from '../pipeline/fix.js';
import { errorText, panicJob, type PanicJob } from '../pipeline/job.js';
import { runPreflight, type MatrixEntry } from '../pipeline/preflight.js';
import { runReproduce } from '../pipeline/reproduce.js';
import type { Reporter } from '../pipeline/reporter.js';
import { runShip } from '../pipeline/ship.js';
import type { Status } from '../state/machine.js';
import type { PanicStore } from '../store/panic-store.js';

export interface PanicRunReport {
  location: string;
  slug: string;
  status: Status;
  failingSeed?: string;
  prUrl?: string;
  prBodyFile?: string;
  reason?: string;
  artifactDir: string;
  phaseMs: Partial<Record<'reproduce' | 'fix' | 'ship', number>>;
}

export interface LocalRunResult {
  panics: PanicRunReport[];
  maxConcurrent: number;
  stopped: 'finished' | 'drained' | 'killed';
  baseCommit?: string;
  skipped: { location: string; reason: string }[];
}

/**
 * Two-stage stop. `drain()` (first SIGINT/SIGTERM): claim nothing new; panics in flight finish
 * their current phase, then give their claim back. `kill()` (second signal): abort the agents and
 * commands (their process groups die), give claims back.
 */
export class Shutdown {
  readonly controller = new AbortController();
  draining = false;
  drain(): void {
    this.draining = true;
  }
  kill(): void {
    this.draining = true;
    this.controller.abort(new Error('stopped by a second signal'));
  }
  get killed(): boolean {
    return this.controller.signal.aborted;
  }
}

export function localOwner(): string {
  return `local-${os.hostname().replace(/[^A-Za-z0-9_.-]/g, '_')}-${process.pid}`;
}

/**
 * `panic-fix run`: the workflow on one machine, through the same phase functions the actions call.
 * One pass = preflight (claims up to panicsPerRun) then every claimed panic through
 * reproduce → fix → ship with at most maxParallelPanics at a time.
 */
export async function runLocalPass(opts: {
  config: Config;
  store: PanicStore;
  reporter: Reporter;
  homeDir: string;
  workDir: string;
  artifactsRoot: string;
  shutdown?: Shutdown;
  owner?: string;
  location?: string;
  onProgress?: (event: { location: string; phase: string; status?: Status; elapsedMs: number }) => void;
}): Promise<LocalRunResult> {
  const shutdown = opts.shutdown ?? new Shutdown();
  const owner = opts.owner ?? localOwner();
  const preflight = await runPreflight({
    config: opts.config,
    store: opts.store,
    owner,
    reporter: opts.reporter,
    ...(opts.location ? { location: opts.location } : {}),
    signal: shutdown.controller.signal,
  });
  const queue = [...preflight.claimed];
  const reports: PanicRunReport[] = [];
  let active = 0;
  let maxConcurrent = 0;

  const worker = async () => {
    for (;;) {
      const entry = queue.shift();
      if (!entry) return;
      if (shutdown.draining) {
        await opts.store.release(entry.location, owner).catch(() => undefined);
        continue;
      }
      active++;
      maxConcurrent = Math.max(maxConcurrent, active);
      try {
        reports.push(await runOnePanic(entry));
      } finally {
        active--;
      }
    }
  };

  async function runOnePanic(entry: MatrixEntry): Promise<PanicRunReport> {
    const artifactDir = path.join(opts.artifactsRoot, entry.slug);
    const job: PanicJob = panicJob({
      config: opts.config,
      store: opts.store,
      reporter: opts.reporter,
      owner,
      location: entry.location,
      workDir: opts.workDir,
      artifactDir,
      homeDir: opts.homeDir,
      signal: shutdown.controller.signal,
    });
    const report: PanicRunReport = {
      location: entry.location,
      slug: entry.slug,
      status: 'repo_setup',
      artifactDir,
      phaseMs: {},
    };
    const started = Date.now();
    const progress = (phase: string, status?: Status) =>
      opts.onProgress?.({
        location: entry.location,
        phase,
        ...(status ? { status } : {}),
        elapsedMs: Date.now() - started,
      });
    const phases = [
      { name: 'reproduce' as const, from: 'repo_setup', run: () => runReproduce(job) },
      { name: 'fix' as const, from: 'fixing', run: () => runFix(job) },
      { name: 'ship' as const, from: 'shipping', run: () => runShip(job, { dryRun: opts.config.dryRun }) },
    ];
    try {
      for (const phase of phases) {
        if (report.status !== phase.from) break;
        if (shutdown.draining) {
          if (await opts.store.release(entry.location, owner)) report.status = 'pending';
          report.reason = 'stopped before this phase; claim released';
          break;
        }
        progress(phase.name);
        const t0 = Date.now();
        const outcome = await phase.run();
        report.phaseMs[phase.name] = Date.now() - t0;
        report.status = outcome.status;
        if (outcome.failingSeed) report.failingSeed = outcome.failingSeed;
        if (outcome.reason) report.reason = outcome.reason;
        if ('prUrl' in outcome && typeof outcome.prUrl === 'string') report.prUrl = outcome.prUrl;
        if ('prBodyFile' in outcome && typeof outcome.prBodyFile === 'string')
          report.prBodyFile = outcome.prBodyFile;
        progress(phase.name, outcome.status);
      }
    } catch (error) {
      report.reason = errorText(error);
    }
    if (
      shutdown.killed ||
      (shutdown.draining && report.status !== 'pr_open' && report.status !== 'needs_human_review')
    ) {
      if (await opts.store.release(entry.location, owner).catch(() => false)) report.status = 'pending';
    }
    return report;
  }

  await Promise.all(Array.from({ length: Math.max(1, opts.config.maxParallelPanics) }, () => worker()));
  return {
    panics: reports,
    maxConcurrent,
    stopped: shutdown.killed ? 'killed' : shutdown.draining ? 'drained' : 'finished',
    baseCommit: preflight.baseCommit,
    skipped: preflight.skipped,
  };
}
