import { z } from 'zod';

/** A status names the phase that runs next (pending → preflight gate, repo_setup → sandbox, …). */
export const STATUSES = [
  'pending',
  'repo_setup',
  'reproducing',
  'fixing',
  'shipping',
  'pr_open',
  'needs_human_review',
  'skipped',
] as const;
export const statusSchema = z.enum(STATUSES);
export type Status = z.infer<typeof statusSchema>;

export const TERMINAL_STATUSES: readonly Status[] = ['pr_open', 'needs_human_review', 'skipped'];
/** Statuses in which a worker holds a claim. */
export const ACTIVE_STATUSES: readonly Status[] = ['repo_setup', 'reproducing', 'fixing', 'shipping'];

/**
 * Every allowed transition, in one place. Failures from any active phase go to needs_human_review;
 * a phase may also be re-entered from the start of the pipeline when a lease expires (requeue).
 */
export const TRANSITIONS: Readonly<Record<Status, readonly Status[]>> = {
  pending: ['repo_setup', 'skipped', 'needs_human_review'],
  repo_setup: ['reproducing', 'needs_human_review', 'pending'],
  reproducing: ['fixing', 'needs_human_review', 'pending'],
  fixing: ['shipping', 'needs_human_review', 'pending'],
  // shipping → pending lets a crashed ship be retried; ship is idempotent (one branch, one PR).
  shipping: ['pr_open', 'needs_human_review', 'pending'],
  pr_open: ['pending'],
  needs_human_review: ['pending'],
  skipped: ['pending'],
};

export function canTransition(from: Status, to: Status): boolean {
  return TRANSITIONS[from].includes(to);
}

export class TransitionError extends Error {
  override name = 'TransitionError';
}

export function assertTransition(from: Status, to: Status): void {
  if (!canTransition(from, to)) throw new TransitionError(`transition ${from} → ${to} is not allowed`);
}

/** Phase names used in logs, workflow_error and per-phase metrics. */
export const PHASES = [
  'preflight',
  'repo_setup',
  'reproducing',
  'fixing',
  'shipping',
  'orchestrator',
] as const;
export const phaseSchema = z.enum(PHASES);
export type Phase = z.infer<typeof phaseSchema>;

export const workflowErrorSchema = z.object({
  phase: phaseSchema,
  error: z.string(),
  attempt: z.number().int().min(0),
  timestamp: z.string(),
  run_url: z.string().optional(),
});
export type WorkflowError = z.infer<typeof workflowErrorSchema>;
