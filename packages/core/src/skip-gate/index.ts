/**
 * The skip gate: panics that are deliberate "this feature does not exist yet" markers (Rust `todo!()`,
 * `unimplemented!()`, "not supported" errors turned into panics) are not bugs an agent can fix, so the
 * pipeline marks them skipped with a reason instead of spending a slot on them.
 *
 * The first implementation substring-matched the whole message, so an assertion whose *code* mentions
 * `unsupported` was skipped too. Here phrases must stand as whole words, and only the human-written part of
 * a message is examined: the expression of `assertion failed: <expr>` and the debug dump after an unwrap
 * are code/data, not a statement about a missing feature.
 */

export interface SkipDecision {
  reason: string;
}

interface SkipForm {
  /** Names the matched form in the reason. */
  name: string;
  pattern: RegExp;
}

// Identifier characters on either side mean the phrase is part of a name (`supported_count`, `not_supported`).
const W_START = '(?<![A-Za-z0-9_])';
const W_END = '(?![A-Za-z0-9_])';
const SPACE = '[ \\t]+';

function phrase(...words: string[]): RegExp {
  return new RegExp(`${W_START}${words.join(SPACE)}${W_END}`, 'i');
}

// Order matters: the most specific form is reported.
const FORMS: readonly SkipForm[] = [
  { name: 'Rust todo!() ("not yet implemented")', pattern: phrase('not', 'yet', 'implemented') },
  { name: 'Rust unimplemented!() ("not implemented")', pattern: phrase('not', 'implemented') },
  { name: 'todo!() macro text', pattern: /(?<![A-Za-z0-9_])todo!/ },
  { name: 'unimplemented!() macro text', pattern: /(?<![A-Za-z0-9_])unimplemented!/ },
  { name: '"unimplemented"', pattern: phrase('unimplemented') },
  { name: '"not yet supported"', pattern: phrase('not', 'yet', 'supported') },
  { name: '"is not supported yet"', pattern: phrase('not', 'supported', 'yet') },
  { name: '"not supported"', pattern: phrase('not', 'supported') },
  { name: '"unsupported"', pattern: phrase('unsupported') },
];

const ASSERTION_EXPR = /^assertion failed: /;
// `assert_eq!`/`assert_ne!` form: "assertion `left == right` failed[: <custom message>]\n  left: …".
const ASSERTION_CMP = /^assertion `[^`\n]*` failed(?::[ \t]*([^\n]*))?/;
// An unwrap/expect on an Err/None: the panic *is* the unwrap (the error should have been propagated), and
// whatever follows is a Debug dump of data.
const UNWRAP =
  /^called `(?:Option|Result)::(?:unwrap|expect|unwrap_err|expect_err)\(\)` on (?:a|an) `(?:None|Err|Ok)` value/;

/** The part of a panic message written by a person to describe the failure (see module comment). */
function humanText(message: string): string {
  const text = message.trim();
  if (ASSERTION_EXPR.test(text)) return '';
  const cmp = ASSERTION_CMP.exec(text);
  if (cmp) return cmp[1] ?? '';
  if (UNWRAP.test(text)) return '';
  return text;
}

/** Why this panic should be skipped, or `undefined` when it is a bug worth fixing. */
export function skipReason(panicMessage: string): SkipDecision | undefined {
  const text = humanText(panicMessage);
  if (text.length === 0) return undefined;
  for (const form of FORMS) {
    const m = form.pattern.exec(text);
    if (m) {
      return {
        reason: `unimplemented/unsupported feature: panic message matches the ${form.name} form ("${excerpt(text, m.index)}")`,
      };
    }
  }
  return undefined;
}

function excerpt(text: string, at: number): string {
  const start = Math.max(0, at - 40);
  const line = text.slice(start, at + 60).replace(/\s+/g, ' ');
  return `${start > 0 ? '…' : ''}${line}${at + 60 < text.length ? '…' : ''}`;
}
