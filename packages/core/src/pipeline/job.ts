import type { Config } from '../config/schema.js';
import type { BackendDetection } from '../sandbox/detect.js';
import { panicNames, type PanicNames } from '../naming.js';
import type { Phase, Status } from '../state/machine.js';
import type { PanicRow } from '../store/rows.js';
import { LostClaimError, type PanicStore } from '../store/panic-store.js';
import { PhaseLog, type Reporter } from './reporter.js';

/** Everything a phase of one panic needs; built by the action (or local mode) around the same code. */
export interface PanicJob {
  config: Config;
  store: PanicStore;
  reporter: Reporter;
  /** Claim owner: the workflow run (every job of one run shares it). */
  owner: string;
  location: string;
  names: PanicNames;
  /** Where sandboxes and their handles live (RUNNER_TEMP on a runner). */
  workDir: string;
  /** What the job uploads for the ship job. */
  artifactDir: string;
  /** The panic-fix checkout: prompts/ and the bundled MCP server are found from here. */
  homeDir: string;
  runUrl?: string;
  signal?: AbortSignal;
  /** A sandbox backend detected earlier in this process (local mode probes once per pass, not per panic). */
  sandboxDetection?: BackendDetection;
}

export function panicJob(args: Omit<PanicJob, 'names'>): PanicJob {
  return { ...args, names: panicNames(args.location) };
}

/** A phase that cannot go on; the panic goes to needs_human_review with this reason. */
export class PhaseFailure extends Error {
  override name = 'PhaseFailure';
}

/** The phase is not ours to run (another status or another owner): report and change nothing. */
export class NotOurTurn extends Error {
  override name = 'NotOurTurn';
}

/** Reads the row and checks this run holds its claim in one of the expected statuses. */
export async function ourRow(job: PanicJob, statuses: readonly Status[]): Promise<PanicRow> {
  return assertOurRow(job, await job.store.require(job.location), statuses);
}

/** `ourRow` for a row already read. */
export function assertOurRow(job: PanicJob, row: PanicRow, statuses: readonly Status[]): PanicRow {
  if (!statuses.includes(row.status)) {
    throw new NotOurTurn(`${job.location} is ${row.status}, not ${statuses.join(' or ')}`);
  }
  if (row.claim_owner !== job.owner) {
    throw new NotOurTurn(`${job.location} is claimed by ${row.claim_owner ?? 'nobody'}, not by ${job.owner}`);
  }
  return row;
}

/**
 * Keeps the lease alive while a long phase runs. Losing the claim (expired and reclaimed by a later
 * run) aborts the phase: two workers must never push for the same panic.
 */
export function keepLease(job: PanicJob, onLost: (error: Error) => void): () => void {
  const every = Math.max(1_000, Math.min(job.config.leaseMs / 4, 10 * 60_000));
  const timer = setInterval(() => {
    job.store.renewLease(job.location, job.owner, job.config.leaseMs).catch((error: unknown) => {
      if (error instanceof LostClaimError) {
        clearInterval(timer);
        onLost(error);
      } else {
        job.reporter.log('warn', `could not renew the lease (will retry): ${(error as Error).message}`);
      }
    });
  }, every);
  timer.unref();
  return () => clearInterval(timer);
}

export function phaseLog(job: PanicJob, phase: Phase): PhaseLog {
  return new PhaseLog(job.reporter, job.store, job.location, phase);
}

/** Moves the panic to needs_human_review with the reason, unless someone else owns it now. */
export async function failPanic(
  job: PanicJob,
  from: Status,
  phase: Phase,
  reason: string,
  log: PhaseLog,
): Promise<void> {
  log.error(reason);
  job.reporter.annotate('error', `panic-fix ${phase} failed`, `${job.location}: ${reason}`);
  try {
    await job.store.fail({
      location: job.location,
      owner: job.owner,
      from,
      phase,
      error: reason,
      ...(job.runUrl ? { runUrl: job.runUrl } : {}),
    });
  } catch (error) {
    log.error(`could not record the failure: ${(error as Error).message}`);
  }
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
