import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { runFix } from '../pipeline/fix.js';
import { handoffFile, sandboxHandleFile } from '../pipeline/handoff.js';
import { errorText, panicJob, type PanicJob } from '../pipeline/job.js';
import { runPreflight, type MatrixEntry } from '../pipeline/preflight.js';
import { runReproduce } from '../pipeline/reproduce.js';
import type { Reporter } from '../pipeline/reporter.js';
import { runShip, type ShipOutcome } from '../pipeline/ship.js';
import { detectBackend, type BackendDetection } from '../sandbox/detect.js';
import { loadSandboxHandle, openSandbox, settleRemovals } from '../sandbox/index.js';
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
  /** Agent cost over all phases (from the row's phase metrics). */
  costUsd?: number;
}

/** One progress line's worth: which panic, which phase, elapsed, agent budget left. */
export interface ProgressEvent {
  location: string;
  phase: 'reproduce' | 'fix' | 'ship';
  /** Set when the phase ended: the status it left the panic in. */
  status?: Status;
  elapsedMs: number;
  /** The phase's agent budget still unspent (reproduce and fix only). */
  budgetLeftMs?: number;
  costUsd?: number;
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
  onProgress?: (event: ProgressEvent) => void;
}): Promise<LocalRunResult> {
  const shutdown = opts.shutdown ?? new Shutdown();
  const owner = opts.owner ?? localOwner();
  let preflight;
  try {
    preflight = await runPreflight({
      config: opts.config,
      store: opts.store,
      owner,
      reporter: opts.reporter,
      ...(opts.location ? { location: opts.location } : {}),
      signal: shutdown.controller.signal,
    });
  } catch (error) {
    // Killed mid-build: the build "failing" is our doing, not the base's; nothing was claimed yet.
    if (shutdown.killed) return { panics: [], maxConcurrent: 0, stopped: 'killed', skipped: [] };
    throw error;
  }
  const queue = [...preflight.claimed];
  const sandboxDetection = queue.length > 0 ? await detectOnce(opts.config, opts.workDir) : undefined;
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
      // Several panics share the console: every line says which one it is about.
      reporter: prefixedReporter(opts.reporter, `${entry.location} │ `),
      owner,
      location: entry.location,
      workDir: opts.workDir,
      artifactDir,
      homeDir: opts.homeDir,
      signal: shutdown.controller.signal,
      ...(sandboxDetection ? { sandboxDetection } : {}),
    });
    const report: PanicRunReport = {
      location: entry.location,
      slug: entry.slug,
      status: 'repo_setup',
      artifactDir,
      phaseMs: {},
    };
    const started = Date.now();
    const phases: {
      name: 'reproduce' | 'fix' | 'ship';
      from: Status;
      metric: 'reproducing' | 'fixing' | undefined;
      budgetMs: number | undefined;
      run: () => Promise<ShipOutcome>;
    }[] = [
      {
        name: 'reproduce',
        from: 'repo_setup',
        metric: 'reproducing',
        budgetMs: opts.config.reproducerTimeoutMs,
        run: () => runReproduce(job),
      },
      {
        name: 'fix',
        from: 'fixing',
        metric: 'fixing',
        budgetMs: opts.config.fixerTimeoutMs,
        run: () => runFix(job),
      },
      {
        name: 'ship',
        from: 'shipping',
        metric: undefined,
        budgetMs: undefined,
        run: () => runShip(job, { dryRun: opts.config.dryRun }),
      },
    ];
    const progress = async (phase: (typeof phases)[number], status?: Status) => {
      if (!opts.onProgress) return;
      let budgetLeftMs = phase.budgetMs;
      let costUsd: number | undefined;
      if (status && phase.metric) {
        const row = await opts.store.get(entry.location).catch(() => undefined);
        const metrics = row?.phase_metrics?.[phase.metric];
        if (budgetLeftMs !== undefined && metrics?.agent_ms !== undefined)
          budgetLeftMs = Math.max(0, budgetLeftMs - metrics.agent_ms);
        costUsd = metrics?.cost_usd;
      }
      opts.onProgress({
        location: entry.location,
        phase: phase.name,
        ...(status ? { status } : {}),
        elapsedMs: Date.now() - started,
        ...(budgetLeftMs !== undefined ? { budgetLeftMs } : {}),
        ...(costUsd !== undefined ? { costUsd } : {}),
      });
    };
    try {
      for (const phase of phases) {
        if (report.status !== phase.from) break;
        if (shutdown.draining) {
          report.reason = 'stopped before this phase; claim released';
          break;
        }
        await progress(phase);
        const t0 = Date.now();
        const outcome = await phase.run();
        report.phaseMs[phase.name] = Date.now() - t0;
        report.status = outcome.status;
        if (outcome.failingSeed) report.failingSeed = outcome.failingSeed;
        if (outcome.reason) report.reason = outcome.reason;
        if (outcome.prUrl) report.prUrl = outcome.prUrl;
        if (outcome.prBodyFile) report.prBodyFile = outcome.prBodyFile;
        await progress(phase, outcome.status);
      }
    } catch (error) {
      report.reason = errorText(error);
    }
    // Stopped (drain or kill) with the panic still mid-pipeline: give the claim back (attempt not
    // counted) and drop the sandbox a later run would recreate anyway. release() only touches
    // active rows we own, so finished panics are left as they are.
    if (shutdown.draining && (await opts.store.release(entry.location, owner).catch(() => false))) {
      report.status = 'pending';
      report.reason ??= 'stopped; claim released';
      await discardSandbox(job);
    }
    const row = await opts.store.get(entry.location).catch(() => undefined);
    const costs = Object.values(row?.phase_metrics ?? {}).map((m) => m?.cost_usd ?? 0);
    if (costs.length) report.costUsd = costs.reduce((a, b) => a + b, 0);
    return report;
  }

  await Promise.all(Array.from({ length: Math.max(1, opts.config.maxParallelPanics) }, () => worker()));
  // Destroyed sandboxes are deleted in the background.
  await settleRemovals((message) => opts.reporter.log('warn', message));
  return {
    panics: reports,
    maxConcurrent,
    stopped: shutdown.killed ? 'killed' : shutdown.draining ? 'drained' : 'finished',
    baseCommit: preflight.baseCommit,
    skipped: preflight.skipped,
  };
}

/**
 * The backend every panic of this pass gets (`auto` probes by mounting and running something, ~50 ms).
 * When nothing is usable each panic detects again and records why in its own row.
 */
async function detectOnce(config: Config, workDir: string): Promise<BackendDetection | undefined> {
  if (config.sandbox.backend !== 'auto') return undefined;
  return detectBackend(config.sandbox, { workDir }).catch(() => undefined);
}

/** The same reporter with `prefix` on every console line (the database log is written separately). */
function prefixedReporter(reporter: Reporter, prefix: string): Reporter {
  return {
    log: (level, message) => reporter.log(level, `${prefix}${message}`),
    group: (title, fn) => reporter.group(`${prefix}${title}`, fn),
    summary: (markdown) => reporter.summary(markdown),
    annotate: (level, title, message) => reporter.annotate(level, `${prefix}${title}`, message),
    mask: (secret) => reporter.mask(secret),
  };
}

/** Removes a released panic's sandbox (kept between reproduce and fix) and its hand-off files. */
async function discardSandbox(job: PanicJob): Promise<void> {
  const handle = sandboxHandleFile(job.workDir, job.names.sessionId);
  try {
    const sandbox = await openSandbox(await loadSandboxHandle(handle));
    await sandbox.destroy();
  } catch {
    // No sandbox left (the phase already destroyed it) or it is unreadable: nothing to keep.
  }
  await rm(handle, { force: true });
  await rm(handoffFile(job.workDir, job.names.sessionId), { force: true });
}
