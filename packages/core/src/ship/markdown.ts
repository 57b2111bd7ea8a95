import { fenced } from '../prompts/render.js';
import { cleanText, oneLine } from './text.js';

/**
 * Markdown that renders data literally on GitHub: no HTML, no formatting, no @mentions that would
 * notify people, no fences that data could close early.
 */

/** A fenced code block whose fence is longer than any backtick run in the content. */
export function codeBlock(content: string, info = ''): string {
  return fenced(cleanText(content).replace(/\n+$/, ''), info);
}

// ASCII punctuation CommonMark lets us backslash-escape; escaping all of it turns every markdown and
// autolink construct into plain text. `@` is handled separately (escaping does not stop mentions).
const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?[\\\]^_`{|}~]/g;

/** Breaks `@name` so GitHub shows it but does not ping: a zero-width space after the @. */
function neutraliseMentions(text: string): string {
  return text.replace(/@(?=[A-Za-z0-9_-])/g, '@\u200b');
}

/** One line of inline text (table cells, list items): literal, single line. */
export function inline(text: string): string {
  return neutraliseMentions(oneLine(text).replace(PUNCTUATION, (c) => `\\${c}`));
}

/**
 * Multi-line prose from data, rendered literally: each line escaped, line breaks kept as hard breaks,
 * leading indentation kept as non-breaking spaces so it cannot become an indented code block.
 */
export function literalParagraphs(text: string): string {
  const lines = cleanText(text).replace(/\s+$/, '').split('\n');
  const rendered = lines.map((line) => {
    const indent = /^[ \t]*/.exec(line)![0];
    const body = line.slice(indent.length);
    if (!body) return '';
    const spaces = indent.replace(/\t/g, '    ').length;
    return '&#160;'.repeat(spaces) + neutraliseMentions(body.replace(PUNCTUATION, (c) => `\\${c}`));
  });
  return rendered
    .map((line, i) => (line && rendered[i + 1] ? `${line}\\` : line))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n');
}
