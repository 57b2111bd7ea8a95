import type { PreflightResult } from './preflight.js';

/** Markdown-safe table cell: literal text, one line, pipes escaped. */
export function cell(text: string, max = 200): string {
  const oneLine = text.replace(/[\r\n]+/g, ' ').slice(0, max);
  return oneLine.replace(/[\\`*_[\]<>|&#@]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function preflightSummary(result: PreflightResult): string {
  const lines = [
    '### panic-fix preflight',
    '',
    `Base commit \`${result.baseCommit.slice(0, 12)}\`: ${result.verdict.cached ? 'verified earlier (cached)' : `build and tests passed in ${Math.round(result.verdict.durationMs / 1000)} s`}.`,
    '',
    '| panic | action | detail |',
    '| --- | --- | --- |',
    ...result.claimed.map((c) => `| ${cell(c.location)} | claimed | attempt ${c.attempt} |`),
    ...result.skipped.map((s) => `| ${cell(s.location)} | skipped | ${cell(s.reason)} |`),
    ...result.reclaimed.requeued.map((l) => `| ${cell(l)} | requeued | lease expired |`),
    ...result.reclaimed.exhausted.map((l) => `| ${cell(l)} | needs_human_review | out of attempts |`),
  ];
  if (
    result.claimed.length +
      result.skipped.length +
      result.reclaimed.requeued.length +
      result.reclaimed.exhausted.length ===
    0
  ) {
    lines.push('| (none) | nothing pending | |');
  }
  return lines.join('\n');
}

/** The job summary of one panic's phase: what happened, and why when it did not work. */
export function phaseSummary(args: {
  title: string;
  location: string;
  status: string;
  failingSeed?: string;
  prUrl?: string;
  reason?: string;
  metrics?: {
    durationMs?: number;
    agentMs?: number;
    excludedMs?: number;
    turns?: number;
    costUsd?: number;
    attempts?: number;
  };
  validation?: { name: string; ok: boolean; durationMs: number }[];
}): string {
  const m = args.metrics ?? {};
  const seconds = (ms?: number) => (ms === undefined ? '' : `${(ms / 1000).toFixed(1)} s`);
  const lines = [
    `### ${args.title}`,
    '',
    '| panic | state | seed | attempts | agent time | simulator time (excluded) | turns | cost |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    `| ${cell(args.location)} | ${cell(args.status)} | ${cell(args.failingSeed ?? '')} | ${m.attempts ?? ''} | ${seconds(m.agentMs)} | ${seconds(m.excludedMs)} | ${m.turns ?? ''} | ${m.costUsd === undefined ? '' : `$${m.costUsd.toFixed(2)}`} |`,
  ];
  if (args.validation?.length) {
    lines.push('', '| validation step | result | time |', '| --- | --- | --- |');
    for (const step of args.validation)
      lines.push(`| ${cell(step.name)} | ${step.ok ? 'passed' : 'FAILED'} | ${seconds(step.durationMs)} |`);
  }
  if (args.prUrl) lines.push('', `Pull request: ${cell(args.prUrl, 500)}`);
  if (args.reason) lines.push('', `**Needs attention:** ${cell(args.reason, 2000)}`);
  return lines.join('\n');
}
