import { z } from 'zod';
import { phaseSchema, statusSchema, workflowErrorSchema } from '../state/machine.js';

/** Limits for data entering the table: generous, but bounded so one row cannot exhaust a runner. */
export const LIMITS = {
  location: 1_000,
  message: 256 * 1024,
  sql: 2 * 1024 * 1024,
} as const;

export const newPanicSchema = z.object({
  panic_location: z
    .string()
    .transform((s) => s.trim())
    .pipe(
      z
        .string()
        .min(1, 'panic_location must not be empty')
        .max(LIMITS.location, `panic_location must be at most ${LIMITS.location} characters`)
        .refine((s) => !/[\0\r\n]/.test(s), 'panic_location must be a single line without NUL'),
    ),
  panic_message: z
    .string()
    .max(LIMITS.message, `panic_message must be at most ${LIMITS.message} characters`)
    .refine((s) => s.trim().length > 0, 'panic_message must not be empty')
    .refine((s) => !s.includes('\0'), 'panic_message must not contain NUL bytes'),
  sql_statements: z
    .string()
    .max(LIMITS.sql, `sql_statements must be at most ${LIMITS.sql} characters`)
    .refine((s) => s.trim().length > 0, 'sql_statements must not be empty')
    .refine((s) => !s.includes('\0'), 'sql_statements must not contain NUL bytes'),
});
export type NewPanic = z.input<typeof newPanicSchema>;

const jsonText = <T extends z.ZodTypeAny>(schema: T) =>
  z
    .string()
    .nullable()
    .transform((text, ctx): z.infer<T> | null => {
      if (text === null || text === '') return null;
      try {
        return schema.parse(JSON.parse(text));
      } catch {
        // A hand-edited or legacy value: keep the raw text visible instead of failing the whole read.
        ctx.addIssue({ code: 'custom', message: 'not valid JSON for its schema' });
        return z.NEVER;
      }
    });

export const phaseMetricsSchema = z.partialRecord(
  phaseSchema,
  z.object({
    started_at: z.string().optional(),
    finished_at: z.string().optional(),
    duration_ms: z.number().optional(),
    agent_ms: z.number().optional(),
    excluded_ms: z.number().optional(),
    turns: z.number().optional(),
    cost_usd: z.number().optional(),
    outcome: z.string().optional(),
  }),
);
export type PhaseMetrics = z.infer<typeof phaseMetricsSchema>;

const workflowErrorColumn = z
  .string()
  .nullable()
  .transform((text) => {
    if (text === null || text === '') return null;
    try {
      const parsed = workflowErrorSchema.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data;
    } catch {
      // fall through
    }
    // The seed's rows may hold {phase, error, timestamp} with other phase names: keep what is there.
    return { phase: 'orchestrator' as const, error: text, attempt: 0, timestamp: '' };
  });

const intColumn = z.union([z.number(), z.bigint()]).transform((v) => Number(v));

/** A row as read from `panic_fixes` (validated: the table is writable by anyone with access). */
export const panicRowSchema = z.object({
  panic_location: z.string(),
  status: z
    .string()
    .nullable()
    .transform((s) => s ?? 'pending')
    .pipe(statusSchema),
  panic_message: z.string(),
  sql_statements: z.string(),
  branch_name: z.string().nullable(),
  pr_url: z.string().nullable(),
  retry_count: intColumn.nullable().transform((v) => v ?? 0),
  workflow_error: workflowErrorColumn,
  created_at: z.string().nullable(),
  updated_at: z.string().nullable(),
  claim_owner: z.string().nullable(),
  claim_expires_at: intColumn.nullable(),
  attempt: intColumn,
  base_commit: z.string().nullable(),
  failing_seed: z.string().nullable(),
  skip_reason: z.string().nullable(),
  phase_metrics: jsonText(phaseMetricsSchema),
  run_url: z.string().nullable(),
});
export type PanicRow = z.infer<typeof panicRowSchema>;

export const logLevelSchema = z.enum(['debug', 'info', 'warn', 'error']);
export type LogLevel = z.infer<typeof logLevelSchema>;

/** The seed's log payload shape. */
export const logPayloadSchema = z.object({
  panic_location: z.string(),
  phase: z.string(),
  level: logLevelSchema,
  message: z.string(),
  timestamp: z.string(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});
export type LogPayload = z.infer<typeof logPayloadSchema>;
