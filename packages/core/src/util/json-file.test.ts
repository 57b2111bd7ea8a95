import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readJsonFile } from './json-file.js';

const schema = z.object({ name: z.string(), count: z.number().int() });
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'json-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readJsonFile', () => {
  it('returns the validated data', async () => {
    const file = path.join(dir, 'ok.json');
    await writeFile(file, '{"name":"x","count":2,"extra":true}');
    expect(await readJsonFile(file, schema)).toEqual({ ok: true, data: { name: 'x', count: 2 } });
  });

  it('names each problem instead of throwing', async () => {
    expect(await readJsonFile(path.join(dir, 'absent.json'), schema)).toMatchObject({
      ok: false,
      problem: 'unreadable',
      code: 'ENOENT',
    });
    const broken = path.join(dir, 'broken.json');
    await writeFile(broken, '{"name":');
    expect(await readJsonFile(broken, schema)).toMatchObject({ ok: false, problem: 'not-json' });
    const wrong = path.join(dir, 'wrong.json');
    await writeFile(wrong, '{"name":3,"count":1.5}');
    expect(await readJsonFile(wrong, schema)).toEqual({
      ok: false,
      problem: 'invalid',
      message:
        'name: Invalid input: expected string, received number; count: Invalid input: expected int, received number',
    });
    await writeFile(wrong, '[1]');
    expect(await readJsonFile(wrong, schema)).toEqual({
      ok: false,
      problem: 'invalid',
      message: '(root): Invalid input: expected object, received array',
    });
  });
});
