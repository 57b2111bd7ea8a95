import { z } from 'zod';
import { cleanText, codePointLength, oneLine, takeLastGraphemes, truncateWithNote } from './text.js';

export const SUBJECT_MAX = 72;
const FIELD_MAX = 8000;

export const commitMessageInputSchema = z.object({
  location: z.string(),
  message: z.string(),
  rootCause: z.string(),
  fix: z.string(),
  failingSeed: z.union([z.string(), z.number(), z.bigint()]).nullable().optional(),
  slug: z.string(),
});
export type CommitMessageInput = z.input<typeof commitMessageInputSchema>;

/**
 * `<prefix><location>` within `max` code points; a long location keeps its end (file and line are
 * what identify a panic), cut at a path separator when possible and marked with '…'.
 */
export function subjectLine(prefix: string, location: string, max = SUBJECT_MAX): string {
  const loc = oneLine(location);
  const budget = max - codePointLength(prefix);
  if (codePointLength(loc) <= budget) return prefix + loc;
  let tail = takeLastGraphemes(loc, Math.max(0, budget - 1));
  const slash = tail.indexOf('/');
  if (slash >= 0 && slash < tail.length - 1) tail = tail.slice(slash);
  return `${prefix}…${tail}`;
}

/** The one subject a fix goes by, as commit subject and PR title: the location, else the slug. */
export function panicSubject(location: string, slug: string): string {
  return oneLine(location) ? subjectLine('fix: panic at ', location) : subjectLine('fix: panic ', slug);
}

/** Safe token for a trailer value: no spaces, no line breaks, no punctuation games. */
function trailerValue(value: string): string {
  return (
    oneLine(value)
      .replace(/[^A-Za-z0-9._/-]+/g, '-')
      .slice(0, 200) || 'unknown'
  );
}

/** Indents every line so data can never start a line git or GitHub would interpret (trailers, '#'). */
function indented(text: string): string {
  const clean = truncateWithNote(cleanText(text).replace(/\s+$/, ''), FIELD_MAX);
  if (!clean) return '    (none given)';
  return clean
    .split('\n')
    .map((line) => (line ? `    ${line}` : ''))
    .join('\n');
}

/**
 * The squashed commit's message. Commit it verbatim (commitSquashed uses `git commit-tree -F <file>`,
 * which strips nothing) so no data line is lost as a comment; data lines are indented and the only final
 * paragraph is ours, so text like `Signed-off-by:` inside the data is never parsed as a trailer.
 */
export function commitMessage(input: CommitMessageInput): string {
  const args = commitMessageInputSchema.parse(input);
  const location = oneLine(args.location);
  const subject = panicSubject(args.location, args.slug);
  const seed = args.failingSeed === null || args.failingSeed === undefined ? null : String(args.failingSeed);
  const lines = [
    subject,
    '',
    `Panic location: ${location || '(unknown)'}`,
    'Panic message:',
    indented(args.message),
    '',
    'Root cause:',
    indented(args.rootCause),
    '',
    'Fix:',
    indented(args.fix),
    '',
    `Failing seed: ${seed === null ? '(none)' : oneLine(seed)}`,
    '',
    `Panic-fix-slug: ${trailerValue(args.slug)}`,
  ];
  if (seed !== null) lines.push(`Panic-fix-seed: ${trailerValue(seed)}`);
  return lines.join('\n') + '\n';
}
