import { z } from 'zod';

/**
 * The budget clock's wire protocol. Tools that run the simulator or validation tell the clock when a
 * run starts and finishes so that time is excluded from the agent's budget.
 *
 *   POST {url}/runs/{runId}/started   body: RunStarted   (Authorization: Bearer {token})
 *   POST {url}/runs/{runId}/finished  body: {}           (same header)
 *   GET  {url}/status                 -> ClockStatus     (same header)
 *
 * runId is chosen by the caller (a UUID); overlapping runs are counted once.
 */
export const CLOCK_URL_ENV = 'PANIC_FIX_CLOCK_URL';
export const CLOCK_TOKEN_ENV = 'PANIC_FIX_CLOCK_TOKEN';

export const runIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

export const runStartedSchema = z
  .object({
    kind: z.enum(['simulator', 'validation']),
    label: z.string().max(200).default(''),
  })
  .strict();
export type RunStarted = z.infer<typeof runStartedSchema>;

export const clockStatusSchema = z.object({
  elapsedMs: z.number(),
  excludedMs: z.number(),
  agentMs: z.number(),
  budgetMs: z.number(),
  openRuns: z.number().int(),
  runsStarted: z.number().int(),
  runsFinished: z.number().int(),
});
export type ClockStatus = z.infer<typeof clockStatusSchema>;
