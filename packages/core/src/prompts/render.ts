import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PANIC_FIX_HOME } from '../home.js';

const PLACEHOLDER = /\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}/g;

export class PromptRenderError extends Error {
  constructor(readonly missing: string[]) {
    super(`prompt variables missing: ${missing.join(', ')}`);
    this.name = 'PromptRenderError';
  }
}

/** Names of the `{{name}}` placeholders a template uses, in order of first use. */
export function promptPlaceholders(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/**
 * Fills `{{name}}` placeholders in one pass: values are inserted verbatim (a value containing
 * `{{x}}` or `$&` stays literal, it is never expanded again). Every placeholder must have a value.
 */
export function renderPrompt(template: string, vars: Readonly<Record<string, string>>): string {
  const missing = promptPlaceholders(template).filter((name) => !Object.hasOwn(vars, name));
  if (missing.length > 0) throw new PromptRenderError(missing);
  return template.replace(PLACEHOLDER, (_whole, name: string) => vars[name]!);
}

/** A Markdown code fence longer than any backtick run inside `text`, so data cannot close it early. */
export function fenced(text: string, info = ''): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${info}\n${text}\n${fence}`;
}

/** `prompts/` at the repository root (next to the packages when running from source). */
export const PROMPTS_DIR = path.join(PANIC_FIX_HOME, 'prompts');

export type PromptName = 'reproducer' | 'fixer';

export async function loadPromptTemplate(name: PromptName, dir = PROMPTS_DIR): Promise<string> {
  return readFile(path.join(dir, `${name}.md`), 'utf8');
}
