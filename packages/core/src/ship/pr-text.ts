import { z } from 'zod';
import { panicSubject } from './commit-message.js';
import { codeBlock, inline, literalParagraphs } from './markdown.js';
import { cleanText, oneLine, truncateWithNote } from './text.js';

/** GitHub rejects PR bodies over 65536 characters; stay a little under. */
export const PR_BODY_LIMIT = 65_000;

const validationStepSchema = z.object({
  name: z.string(),
  ok: z.boolean(),
  durationMs: z.number().nonnegative().optional(),
  detail: z.string().optional(),
});

export const prBodyInputSchema = z.object({
  location: z.string(),
  message: z.string(),
  sqlStatements: z.union([z.string(), z.array(z.string())]).optional(),
  bugDescription: z.string().optional(),
  fixDescription: z.string().optional(),
  whySimulatorMissed: z.string().optional(),
  simulatorChanges: z.string().optional(),
  failingSeed: z.union([z.string(), z.number(), z.bigint()]).nullable().optional(),
  validation: z.object({ steps: z.array(validationStepSchema) }).optional(),
  /** USD per phase, e.g. { reproduce: 1.2, fix: 3.4 }. */
  costUsd: z.record(z.string(), z.number()).optional(),
  /** Milliseconds per phase. */
  durationsMs: z.record(z.string(), z.number()).optional(),
  /** Per-phase reports (as in the artifact summary); merged with costUsd/durationsMs into one table. */
  phases: z
    .record(
      z.string(),
      z
        .object({
          outcome: z.string().optional(),
          attempts: z.number().optional(),
          durationMs: z.number().optional(),
          costUsd: z.number().optional(),
        })
        .optional(),
    )
    .optional(),
  /** Repo-relative path of the regression test added by the fix. */
  regressionTest: z.string().optional(),
  runUrl: z.string().optional(),
  branch: z.string(),
  baseCommit: z.string(),
});
export type PrBodyInput = z.input<typeof prBodyInputSchema>;

/** `message` is accepted for callers' convenience; the title names the location only (it identifies the panic). */
export function prTitle(input: { location: string; slug?: string; message?: string }): string {
  return panicSubject(input.location, input.slug ?? '');
}

function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  return s < 120 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

/** Data fields that can be large, in the order they are shrunk when the body is too long. */
type Caps = Record<'sql' | 'message' | 'bug' | 'fix' | 'why' | 'sim' | 'detail', number>;

function render(a: z.output<typeof prBodyInputSchema>, caps: Caps): string {
  const cut = (text: string, cap: number) => truncateWithNote(text, cap);
  const out: string[] = [];
  out.push('## Panic', '');
  out.push(`**Location:** ${inline(a.location) || '_unknown_'}`, '');
  out.push('**Message:**', '', codeBlock(cut(a.message, caps.message), 'text'), '');
  const sql = Array.isArray(a.sqlStatements) ? a.sqlStatements.join('\n') : (a.sqlStatements ?? '');
  if (sql.trim()) out.push('**SQL statements:**', '', codeBlock(cut(sql, caps.sql), 'sql'), '');
  const seed = a.failingSeed === null || a.failingSeed === undefined ? '' : String(a.failingSeed);
  if (a.regressionTest) out.push(`**Regression test:** ${inline(a.regressionTest)}`, '');
  out.push(`**Failing seed:** ${seed ? `\`${oneLine(seed).replace(/`/g, '')}\`` : '_none_'}`, '');

  const prose = (title: string, text: string | undefined, cap: number) => {
    if (text && cleanText(text).trim()) out.push(`## ${title}`, '', literalParagraphs(cut(text, cap)), '');
  };
  prose('Root cause', a.bugDescription, caps.bug);
  prose('Fix', a.fixDescription, caps.fix);
  prose('Why the simulator missed it', a.whySimulatorMissed, caps.why);
  prose('Simulator changes', a.simulatorChanges, caps.sim);

  if (a.validation && a.validation.steps.length > 0) {
    out.push('## Validation', '', '| Step | Result | Duration | Detail |', '| --- | --- | --- | --- |');
    for (const step of a.validation.steps) {
      const detail = step.detail ? inline(cut(step.detail, caps.detail)) : '';
      out.push(
        `| ${inline(step.name)} | ${step.ok ? '✅ passed' : '❌ failed'} | ${formatDuration(step.durationMs)} | ${detail} |`,
      );
    }
    out.push('');
  }

  const rows = new Map<string, { outcome?: string; attempts?: number; cost?: number; durationMs?: number }>();
  const row = (phase: string) => rows.get(phase) ?? rows.set(phase, {}).get(phase)!;
  for (const [phase, report] of Object.entries(a.phases ?? {})) {
    if (!report) continue;
    Object.assign(row(phase), {
      outcome: report.outcome,
      attempts: report.attempts,
      cost: report.costUsd,
      durationMs: report.durationMs,
    });
  }
  for (const [phase, cost] of Object.entries(a.costUsd ?? {})) row(phase).cost = cost;
  for (const [phase, ms] of Object.entries(a.durationsMs ?? {})) row(phase).durationMs = ms;
  if (rows.size > 0) {
    out.push(
      '## Cost and time',
      '',
      '| Phase | Outcome | Attempts | Cost (USD) | Duration |',
      '| --- | --- | --- | --- | --- |',
    );
    let total = 0;
    let anyCost = false;
    for (const [phase, r] of rows) {
      if (r.cost !== undefined) {
        total += r.cost;
        anyCost = true;
      }
      out.push(
        `| ${inline(phase)} | ${r.outcome ? inline(r.outcome) : ''} | ${r.attempts ?? ''} | ${r.cost === undefined ? '' : r.cost.toFixed(2)} | ${formatDuration(r.durationMs)} |`,
      );
    }
    if (anyCost) out.push(`| **total** | | | ${total.toFixed(2)} | |`);
    out.push('');
  }

  out.push('---', '');
  out.push(
    `Branch \`${oneLine(a.branch).replace(/`/g, '')}\` based on \`${oneLine(a.baseCommit).replace(/`/g, '')}\`.`,
  );
  const runUrl = a.runUrl ? oneLine(a.runUrl) : '';
  // Only a plain http(s) URL becomes a link; anything else is shown as text.
  if (/^https?:\/\/[^\s<>()[\]]+$/.test(runUrl)) out.push('', `[Workflow run](${runUrl})`);
  else if (runUrl) out.push('', `Workflow run: ${inline(runUrl)}`);
  out.push(
    '',
    '_Opened by panic-fix. The patch was validated as listed above; please review it as any other change._',
  );
  return out.join('\n') + '\n';
}

/**
 * The draft PR's markdown. Data renders literally (code fences longer than any backtick run, escaped
 * inline text, neutralised @mentions) and the whole body stays under GitHub's size limit by truncating
 * the largest data sections with a note.
 */
export function prBody(input: PrBodyInput, limit = PR_BODY_LIMIT): string {
  const a = prBodyInputSchema.parse(input);
  const caps: Caps = { sql: 20_000, message: 4000, bug: 8000, fix: 8000, why: 4000, sim: 4000, detail: 500 };
  for (let round = 0; round < 40; round++) {
    const body = render(a, caps);
    if (body.length <= limit) return body;
    // Shrink the largest cap; escaping can expand text, so measure the rendered result each time.
    const largest = (Object.keys(caps) as (keyof Caps)[]).reduce((x, y) => (caps[x] >= caps[y] ? x : y));
    caps[largest] = Math.floor(caps[largest] / 2);
  }
  return truncateWithNote(render(a, caps), limit);
}
