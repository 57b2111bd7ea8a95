import { readFile } from 'node:fs/promises';
import type { z } from 'zod';

/** `path: message; …` — how every boundary reports what zod rejected (`(root)` for the value itself). */
export function zodIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

export type JsonFileResult<T> =
  | { ok: true; data: T }
  /** `code` is the errno name when there is one (ENOENT, EACCES, …). */
  | { ok: false; problem: 'unreadable'; code: string; message: string }
  | { ok: false; problem: 'not-json'; message: string }
  | { ok: false; problem: 'invalid'; message: string };

/**
 * Reads a JSON file and validates it. Never throws for a bad file: each reader words the problem for
 * its own file (a context file, an artifact, a hand-off).
 */
export async function readJsonFile<S extends z.ZodType>(
  file: string,
  schema: S,
): Promise<JsonFileResult<z.output<S>>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    return { ok: false, problem: 'unreadable', code: e.code ?? String(error), message: e.message };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: 'not-json', message: (error as Error).message };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { ok: false, problem: 'invalid', message: zodIssues(parsed.error) };
  return { ok: true, data: parsed.data };
}
