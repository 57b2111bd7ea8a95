/** The adversarial corpus (test/fixtures/adversarial/corpus.json) and the rules for what enqueue accepts. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { LIMITS } from '../../packages/core/src/store/rows.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CORPUS_FILE = path.join(REPO_ROOT, 'test', 'fixtures', 'adversarial', 'corpus.json');

export type Field = 'location' | 'message' | 'sql';

const entrySchema = z
  .object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    note: z.string(),
    text: z.string().optional(),
    base64: z.string().optional(),
    nonUtf8: z.boolean().optional(),
    repeat: z.object({ unit: z.string().min(1), times: z.number().int().positive() }).optional(),
    fields: z.array(z.enum(['location', 'message', 'sql'])).optional(),
  })
  .refine((e) => [e.text, e.base64, e.repeat].filter((v) => v !== undefined).length === 1, {
    message: 'exactly one of text, base64, repeat',
  });

const corpusSchema = z.object({
  version: z.literal(1),
  note: z.string(),
  markerPrefix: z.string().startsWith('/tmp/'),
  entries: z.array(entrySchema).min(1),
});

export interface CorpusEntry {
  id: string;
  note: string;
  /** The raw bytes (what a file or stdin would carry). */
  bytes: Buffer;
  /** What a JavaScript caller can hold: the bytes decoded leniently (invalid UTF-8 → U+FFFD). */
  value: string;
  nonUtf8: boolean;
  fields: Field[];
}

export function loadCorpus(): { markerPrefix: string; entries: CorpusEntry[] } {
  const corpus = corpusSchema.parse(JSON.parse(readFileSync(CORPUS_FILE, 'utf8')));
  const ids = new Set<string>();
  const entries = corpus.entries.map((e): CorpusEntry => {
    if (ids.has(e.id)) throw new Error(`duplicate corpus id ${e.id}`);
    ids.add(e.id);
    const text = e.text ?? (e.repeat ? e.repeat.unit.repeat(e.repeat.times) : undefined);
    const bytes = text !== undefined ? Buffer.from(text, 'utf8') : Buffer.from(e.base64!, 'base64');
    return {
      id: e.id,
      note: e.note,
      bytes,
      // A lone surrogate in `text` stays one here (JS can hold it); files and the database cannot.
      value: text ?? new TextDecoder('utf-8').decode(bytes),
      nonUtf8: e.nonUtf8 ?? false,
      fields: e.fields ?? ['location', 'message', 'sql'],
    };
  });
  return { markerPrefix: corpus.markerPrefix, entries };
}

/**
 * Why `PanicStore.enqueue` refuses `value` in `field` (the documented rules of store/rows.ts), or
 * undefined when it accepts it. The regex is matched against the error enqueue throws.
 */
export function expectedRefusal(field: Field, value: string): RegExp | undefined {
  if (field === 'location') {
    const v = value.trim();
    if (v.length === 0) return /panic_location must not be empty/;
    if (v.length > LIMITS.location) return /panic_location must be at most/;
    if (/[\0\r\n]/.test(v)) return /panic_location must be a single line without NUL/;
    return undefined;
  }
  const name = field === 'message' ? 'panic_message' : 'sql_statements';
  if (value.length > LIMITS[field]) return new RegExp(`${name} must be at most`);
  if (value.trim().length === 0) return new RegExp(`${name} must not be empty`);
  if (value.includes('\0')) return new RegExp(`${name} must not contain NUL`);
  return undefined;
}

/** What survives a UTF-8 file or database round trip: lone surrogates become U+FFFD. */
export function utf8RoundTrip(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}
