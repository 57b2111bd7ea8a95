/**
 * Encoding arbitrary strings as Tcl words and list elements. SQL and expected output come from a panic table
 * anyone can write to, so the generated test file must hand the harness these bytes exactly and never let
 * Tcl substitute (`[exec …]`, `$env(…)`) or re-split them.
 *
 * Two shapes, chosen per string:
 * - `{…}`: kept readable for ordinary SQL. Tcl performs no substitution inside braces, except that
 *   backslash-newline is still folded and `\{`/`\}` still count for matching, so braces are used only when
 *   the string has no backslash at all, its braces nest properly, and it holds no control characters that
 *   an editor or git could rewrite (CR, NUL…).
 * - `"…"` with every Tcl-special character backslash-escaped otherwise.
 *
 * Non-ASCII text is written literally (UTF-8): `\u` escapes would be re-encoded through the harness's
 * system encoding on `exec`, which loses characters outside Latin-1 in a C locale, whereas literal bytes
 * round-trip in either case.
 */

// eslint-disable-next-line no-control-regex
const UNSAFE_CONTROL = /[\x00-\x08\x0b-\x1f\x7f]/;

/** Braces nest properly (never close more than opened, all closed at the end). */
function bracesBalanced(text: string): boolean {
  let depth = 0;
  for (const ch of text) {
    if (ch === '{') depth++;
    else if (ch === '}' && --depth < 0) return false;
  }
  return depth === 0;
}

function canBrace(text: string): boolean {
  return !text.includes('\\') && !UNSAFE_CONTROL.test(text) && bracesBalanced(text);
}

function escapeChar(ch: string): string {
  switch (ch) {
    case '\\':
    case '$':
    case '[':
    case ']':
    case '"':
    case '{':
    case '}':
    case ';':
      return `\\${ch}`;
    case '\n':
      return '\\n';
    case '\t':
      return '\\t';
    case '\r':
      return '\\r';
    default: {
      const code = ch.codePointAt(0) ?? 0;
      // Exactly four hex digits: `\u` takes up to four, so a following hex digit is never swallowed.
      if (code < 0x20 || code === 0x7f) return `\\u${code.toString(16).padStart(4, '0')}`;
      return ch;
    }
  }
}

/** Escapes every character Tcl could interpret; the result is safe inside `"…"` or as a bare word. */
function backslashEscape(text: string, escapeSpaces: boolean): string {
  let out = '';
  for (const ch of text) out += ch === ' ' && escapeSpaces ? '\\ ' : escapeChar(ch);
  return out;
}

/** One Tcl word whose value is exactly `text`. */
export function tclWord(text: string): string {
  if (canBrace(text)) return `{${text}}`;
  return `"${backslashEscape(text, false)}"`;
}

const BARE_ELEMENT = /^[A-Za-z0-9_.:|,+\-*/=<>!?@%^&~'()]+$/;

/** A plain token Tcl reads as itself, bare (a leading `#` would start a comment). */
function isBare(text: string): boolean {
  return BARE_ELEMENT.test(text) && !text.startsWith('#');
}

/** Like `tclWord`, but a plain token (`1|abc`) stays bare, as Turso's hand-written tests have it. */
export function tclArg(text: string): string {
  return isBare(text) ? text : tclWord(text);
}

/** `text` read as a Tcl list is its own lines: every line a plain non-empty token (so both readings agree). */
export function isPlainLines(text: string): boolean {
  return text.split('\n').every(isBare);
}

/** One element of a Tcl list whose value is exactly `text` (what `lindex` returns). */
export function tclListElement(text: string): string {
  if (isBare(text)) return text;
  if (canBrace(text)) return `{${text}}`;
  return backslashEscape(text, true);
}

/** A Tcl list (as a string value) of `items`. */
export function tclList(items: readonly string[]): string {
  return items.map(tclListElement).join(' ');
}
