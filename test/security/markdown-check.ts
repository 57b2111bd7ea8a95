/**
 * Minimal CommonMark readers for the checks that data renders literally: fenced code blocks (the
 * closing fence must be the same character, at least as long, alone on its line) and backslash-escaped
 * inline text.
 */

export interface FencedBlock {
  /** The opening fence line (fence + info string). */
  opener: string;
  content: string;
  /** False when the document ended inside the block. */
  closed: boolean;
  /** Line indexes of the opening and closing fences (split at LF, CRLF or CR). */
  startLine: number;
  endLine: number;
}

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})(.*)$/;

/** Every fenced code block of a document, in order. Lines end at LF, CRLF or a bare CR (CommonMark). */
export function fencedBlocks(markdown: string): FencedBlock[] {
  const lines = markdown.split(/\r\n|\r|\n/);
  const blocks: FencedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE_OPEN.exec(lines[i]!);
    if (!open) continue;
    const fence = open[1]!;
    // A backtick fence's info string may not contain backticks (then it is not a fence).
    if (fence[0] === '`' && open[2]!.includes('`')) continue;
    const closer = new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}[ \\t]*$`);
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !closer.test(lines[j]!); j++) body.push(lines[j]!);
    blocks.push({
      opener: lines[i]!,
      content: body.join('\n'),
      closed: j < lines.length,
      startLine: i,
      endLine: j,
    });
    i = j;
  }
  return blocks;
}

const ASCII_PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/;

/**
 * Reads inline markdown produced by escaping: every ASCII punctuation character must be backslash-escaped
 * (so no emphasis, link, HTML, code span or autolink can form); `&#160;` is a non-breaking space and a
 * final lone backslash a hard line break. Returns the literal text, or an error naming the first
 * unescaped character.
 */
export function unescapeLiteral(line: string): { text: string } | { error: string } {
  let text = '';
  let i = 0;
  while (line.startsWith('&#160;', i)) {
    text += ' ';
    i += 6;
  }
  for (; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\') {
      if (i === line.length - 1) break; // hard line break
      const next = line[i + 1]!;
      if (!ASCII_PUNCTUATION.test(next)) return { error: `stray backslash before ${JSON.stringify(next)}` };
      text += next;
      i++;
      continue;
    }
    // `@` is left unescaped on purpose: mentions are broken by a zero-width space instead.
    if (c === '@') {
      if (/[A-Za-z0-9_-]/.test(line[i + 1] ?? '')) return { error: `live @mention at ${i}` };
      text += c;
      continue;
    }
    if (ASCII_PUNCTUATION.test(c)) return { error: `unescaped ${JSON.stringify(c)} at ${i}` };
    text += c;
  }
  return { text: text.replace(/@\u200b/g, '@') };
}

/** Longest run of `char` in text. */
export function longestRun(text: string, char: '`' | '~'): number {
  const runs = text.match(char === '`' ? /`+/g : /~+/g) ?? [];
  return Math.max(0, ...runs.map((r) => r.length));
}
