/**
 * Text hygiene shared by commit messages and PR bodies: data from the panic table and from agents is
 * arbitrary, so it is cleaned of control characters, cut only on grapheme boundaries, and escaped so it
 * renders literally.
 */

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

export function graphemes(text: string): string[] {
  return Array.from(segmenter.segment(text), (s) => s.segment);
}

/** Code points, the unit the length limits here are stated in. */
export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Drops NUL and other C0/C1 controls (ANSI colour codes, bells) except tab and newline; CRLF → LF. */
export function cleanText(text: string): string {
  return (
    text
      .replace(/\r\n?/g, '\n')
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '')
  );
}

/** One line: newlines and tabs become spaces, runs of spaces collapse. */
export function oneLine(text: string): string {
  return cleanText(text).replace(/\s+/g, ' ').trim();
}

/** Keeps whole graphemes from the end, up to `maxCodePoints` code points. */
export function takeLastGraphemes(text: string, maxCodePoints: number): string {
  const parts = graphemes(text);
  let out = '';
  let used = 0;
  for (let i = parts.length - 1; i >= 0; i--) {
    const n = codePointLength(parts[i]!);
    if (used + n > maxCodePoints) break;
    out = parts[i]! + out;
    used += n;
  }
  return out;
}

/** Truncates to `maxChars` (UTF-16 units, what size limits count) with a note saying how much was cut. */
export function truncateWithNote(text: string, maxChars: number, what = 'characters'): string {
  if (text.length <= maxChars) return text;
  const note = `\n… [truncated: ${text.length - maxChars} more ${what}; see the run artifact for the full text]`;
  const keep = Math.max(0, maxChars - note.length);
  // Cut on a grapheme boundary: take graphemes while they fit in `keep` UTF-16 units.
  let out = '';
  for (const g of graphemes(text.slice(0, keep + 8))) {
    if (out.length + g.length > keep) break;
    out += g;
  }
  return out + note;
}
