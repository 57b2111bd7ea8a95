import { createClient } from '@libsql/client';
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliCaptured } from '../../../testkit/src/cli/captured.js';

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'cli-'));
}

const cli = runCliCaptured;

describe('panic-fix CLI', () => {
  it('shows a seed-style INSERT as pending in status', async () => {
    const dir = await tempDir();
    const db = `file:${path.join(dir, 'p.db')}`;
    expect((await cli(['init-db', '--db', db])).code).toBe(0);
    const raw = createClient({ url: db });
    await raw.execute(
      "INSERT INTO panic_fixes (panic_location, panic_message, sql_statements) VALUES ('src/vdbe.c:1234', 'assertion failed: some_condition', 'CREATE TABLE t(x);')",
    );
    raw.close();
    const table = await cli(['status', '--db', db]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/src\/vdbe\.c:1234\s+pending\s+0/);
    const json = JSON.parse((await cli(['status', '--db', db, '--json'])).stdout) as { status: string }[];
    expect(json[0]!.status).toBe('pending');
  });

  it('enqueues from argument, file and stdin; refuses duplicates unless --requeue', async () => {
    const dir = await tempDir();
    const db = `file:${path.join(dir, 'p.db')}`;
    const sqlFile = path.join(dir, 'q.sql');
    await writeFile(sqlFile, "CREATE TABLE t(a);\nSELECT '}{$[x]';\n");
    expect(
      (await cli(['enqueue', 'core/a.rs:1:2', '--message', 'm1', '--sql', 'SELECT 1;', '--db', db])).code,
    ).toBe(0);
    expect(
      (await cli(['enqueue', 'core/b.rs:1:2', '--message', 'm2', '--sql-file', sqlFile, '--db', db])).code,
    ).toBe(0);
    expect(
      (
        await cli(['enqueue', 'core/c.rs:1:2', '--message', 'm3', '--sql-file', '-', '--db', db], {
          stdin: 'SELECT 3;',
        })
      ).code,
    ).toBe(0);
    const dup = await cli([
      'enqueue',
      'core/a.rs:1:2',
      '--message',
      'changed',
      '--sql',
      'SELECT 9;',
      '--db',
      db,
    ]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/already stored.*--requeue/);
    const rows = JSON.parse((await cli(['status', '--db', db, '--json'])).stdout) as Record<string, string>[];
    expect(rows.map((r) => r.sql_statements)).toEqual([
      'SELECT 1;',
      "CREATE TABLE t(a);\nSELECT '}{$[x]';\n",
      'SELECT 3;',
    ]);
    expect(
      (
        await cli([
          'enqueue',
          'core/a.rs:1:2',
          '--message',
          'changed',
          '--sql',
          'SELECT 9;',
          '--requeue',
          '--db',
          db,
        ])
      ).code,
    ).toBe(0);
  });

  it('uses exit code 2 for usage errors and 1 for failures', async () => {
    const dir = await tempDir();
    const db = `file:${path.join(dir, 'p.db')}`;
    expect((await cli([])).code).toBe(2);
    expect((await cli(['frobnicate'])).code).toBe(2);
    expect((await cli(['enqueue', 'x.rs:1:1', '--message', 'm', '--db', db])).code).toBe(2);
    expect(
      (await cli(['enqueue', 'x.rs:1:1', '--message', 'm', '--sql', 's', '--sql-file', 'f', '--db', db]))
        .code,
    ).toBe(2);
    expect((await cli(['status', '--bogus'])).code).toBe(2);
    expect((await cli(['status', '--status', 'nope', '--db', db])).code).toBe(2);
    const empty = await cli(['enqueue', 'x.rs:1:1', '--message', ' ', '--sql', 's', '--db', db]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/panic_message must not be empty/);
    const unreachable = await cli(['status', '--db', 'libsql://127.0.0.1:1']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot reach the database/);
    expect((await cli(['requeue', 'missing.rs:1:1', '--db', db])).code).toBe(1);
  });

  it('prints help for every command', async () => {
    for (const c of ['init-db', 'enqueue', 'status', 'logs', 'requeue']) {
      const r = await cli([c, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/usage: panic-fix/);
    }
  });

  it('falls back to the embedded default database and reports a broken properties.json', async () => {
    const dir = await tempDir();
    expect((await cli(['init-db'], { cwd: dir })).code).toBe(0);
    await writeFile(path.join(dir, 'properties.json'), '{"tursoUrl": 1}');
    const r = await cli(['status'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/tursoUrl: must be a string/);
  });

  it('runs as a real executable', () => {
    const bin = path.resolve(__dirname, '..', '..', 'bin', 'panic-fix.js');
    const r = spawnSync(bin, ['--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Commands:/);
  });
});
