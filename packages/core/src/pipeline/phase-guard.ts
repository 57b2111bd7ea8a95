import type { Sandbox } from '../sandbox/types.js';
import { isTransientDbError } from '../store/connect.js';
import type { Phase, Status } from '../state/machine.js';
import type { PhaseReport, ValidationStep } from './artifact.js';
import { exportForHumans } from './export.js';
import { errorText, failPanic, keepLease, NotOurTurn, type PanicJob } from './job.js';
import type { PhaseLog } from './reporter.js';

export interface PhaseOutcome {
  status: Status;
  failingSeed?: string;
  reason?: string;
  /** The agent phase's figures, when an agent ran. */
  report?: PhaseReport;
  validation?: ValidationStep[];
}

export interface LeasedPhase {
  /** The job with a signal that also fires when the claim is lost. */
  job: PanicJob;
  lost: AbortSignal;
  stop: () => void;
}

/** Renews the lease while the phase runs; losing the claim aborts the phase's commands and agents. */
export function leasedPhase(job: PanicJob): LeasedPhase {
  const lost = new AbortController();
  const stop = keepLease(job, (error) => lost.abort(error));
  return {
    job: { ...job, signal: job.signal ? AbortSignal.any([job.signal, lost.signal]) : lost.signal },
    lost: lost.signal,
    stop,
  };
}

/**
 * How every agent phase ends on an error: not our turn → report only; a lost claim → leave the row
 * to its new owner; a shutdown → the orchestrator releases the claim; a state-store outage → the
 * row waits for its lease to expire and is reclaimed; anything else → keep the
 * sandbox's changes for humans and move the panic to needs_human_review with the reason.
 */
export async function endFailedPhase(args: {
  job: PanicJob;
  leased: LeasedPhase;
  error: unknown;
  from: Status;
  phase: Phase;
  sandbox: Sandbox | undefined;
  log: PhaseLog;
}): Promise<PhaseOutcome> {
  const { job, leased, error, log, sandbox } = args;
  if (error instanceof NotOurTurn) {
    log.warn(`not running ${args.phase}: ${error.message}`);
    return { status: (await job.store.get(job.location))?.status ?? args.from, reason: error.message };
  }
  const reason = leased.lost.aborted
    ? `lost the claim while ${args.from}: ${errorText(leased.lost.reason)}`
    : errorText(error);
  if (sandbox) await exportForHumans(job, sandbox, log);
  if (isTransientDbError(error) && !leased.lost.aborted) {
    // The state store, not the panic, failed: leave the row in its phase under its lease; the next
    // run reclaims it (attempt counted) instead of spending a human review on an outage.
    log.error(
      `the state store failed (${reason}); ${job.location} stays ${args.from} until its lease expires`,
    );
    await sandbox?.destroy().catch(() => undefined);
    return { status: args.from, reason: `state store unavailable: ${reason}` };
  }
  if (!leased.lost.aborted && !job.signal?.aborted) await failPanic(job, args.from, args.phase, reason, log);
  await sandbox?.destroy().catch(() => undefined);
  if (job.signal?.aborted)
    return { status: (await job.store.get(job.location))?.status ?? 'pending', reason: 'stopped' };
  return { status: 'needs_human_review', reason };
}
