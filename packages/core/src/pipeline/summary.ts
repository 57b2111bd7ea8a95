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
