import { createClient } from '@libsql/client';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION } from './migrations.js';
import { DuplicatePanicError, LostClaimError, PanicStore } from './panic-store.js';

const stores: PanicStore[] = [];
async function tempDbUrl(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'store-'));
  return `file:${path.join(dir, 'state.db')}`;
}
async function openStore(url?: string): Promise<PanicStore> {
  const store = await PanicStore.open(url ?? (await tempDbUrl()));
  stores.push(store);
  return store;
}
afterEach(() => {
  while (stores.length) stores.pop()!.close();
});

const panic = (i: number) => ({
  panic_location: `core/f${i}.rs:${i}:1`,
  panic_message: `assertion failed: x${i}`,
  sql_statements: `SELECT ${i};`,
});

describe('PanicStore', () => {
  it('accepts the seed 3-column INSERT and reads it as pending', async () => {
    const url = await tempDbUrl();
    const store = await openStore(url);
    const raw = createClient({ url });
    await raw.execute({
      sql: 'INSERT INTO panic_fixes (panic_location, panic_message, sql_statements) VALUES (?, ?, ?)',
      args: [
        'src/vdbe.c:1234',
        'assertion failed: some_condition',
        'CREATE TABLE t(x);\nINSERT INTO t VALUES(1);\nSELECT * FROM t;',
      ],
    });
    raw.close();
    const row = await store.require('src/vdbe.c:1234');
    expect(row).toMatchObject({ status: 'pending', attempt: 0, retry_count: 0 });
  });

  it('migrates a database created by the seed schema without losing rows', async () => {
    const url = await tempDbUrl();
    const raw = createClient({ url });
    await raw.batch([
      `CREATE TABLE panic_fixes (panic_location TEXT PRIMARY KEY, status TEXT DEFAULT 'pending', panic_message TEXT NOT NULL,
        sql_statements TEXT NOT NULL, branch_name TEXT, pr_url TEXT, retry_count INTEGER DEFAULT 0, workflow_error TEXT,
        created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)`,
      'CREATE TABLE logs (id INTEGER PRIMARY KEY AUTOINCREMENT, payload TEXT NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)',
      `INSERT INTO panic_fixes (panic_location, status, panic_message, sql_statements, workflow_error)
        VALUES ('a.rs:1:1', 'needs_human_review', 'm', 's', '{"phase":"pending","error":"Build failed","timestamp":"t"}')`,
    ]);
    raw.close();
    const store = await openStore(url);
    const row = await store.require('a.rs:1:1');
    expect(row.status).toBe('needs_human_review');
    expect(row.workflow_error?.error).toContain('Build failed');
    // Reopening is a no-op.
    store.close();
    stores.pop();
    const again = await openStore(url);
    const versions = await again.client.execute('SELECT version FROM panic_fix_schema ORDER BY version');
    expect(versions.rows.map((r) => Number(r.version))).toEqual([1, LATEST_SCHEMA_VERSION]);
  });

  it('refuses a duplicate location unless requeued, and keeps the original', async () => {
    const store = await openStore();
    await store.enqueue(panic(1));
    await expect(store.enqueue({ ...panic(1), panic_message: 'other' })).rejects.toBeInstanceOf(
      DuplicatePanicError,
    );
    expect((await store.require(panic(1).panic_location)).panic_message).toBe('assertion failed: x1');
    const requeued = await store.enqueue({ ...panic(1), panic_message: 'other' }, { requeue: true });
    expect(requeued.panic_message).toBe('other');
  });

  it('stores hostile text byte for byte', async () => {
    const store = await openStore();
    const hostile = `it's "q" \`b\` $(touch /tmp/x) \${HOME} \n\r\t {[$\\]} ENDTCL\n'; DROP TABLE panic_fixes; --`;
    await store.enqueue({
      panic_location: `core/"x'.rs:1:1`,
      panic_message: hostile,
      sql_statements: hostile,
    });
    const row = await store.require(`core/"x'.rs:1:1`);
    expect(row.panic_message).toBe(hostile);
    expect(row.sql_statements).toBe(hostile);
  });

  it.each([
    [{ ...panic(9), panic_location: '' }, /panic_location must not be empty/],
    [{ ...panic(9), panic_location: '   ' }, /panic_location must not be empty/],
    [{ ...panic(9), panic_message: '' }, /panic_message must not be empty/],
    [{ ...panic(9), sql_statements: '  \n' }, /sql_statements must not be empty/],
    [{ ...panic(9), sql_statements: 'SELECT 1;\0' }, /NUL/],
    [{ ...panic(9), panic_location: 'a\nb' }, /single line/],
    [{ ...panic(9), sql_statements: 'x'.repeat(3 * 1024 * 1024) }, /at most/],
  ])('rejects bad input %#, changing nothing', async (input, message) => {
    const store = await openStore();
    await store.enqueue(panic(1));
    const before = await store.list();
    await expect(store.enqueue(input)).rejects.toThrow(message);
    expect(await store.list()).toEqual(before);
  });

  it('accepts 1 MB of SQL', async () => {
    const store = await openStore();
    const sql = `SELECT '${'x'.repeat(1024 * 1024)}';`;
    await store.enqueue({ ...panic(2), sql_statements: sql });
    expect((await store.require(panic(2).panic_location)).sql_statements).toBe(sql);
  });

  it('claims each pending panic once, in order, up to the limit', async () => {
    const store = await openStore();
    for (let i = 0; i < 5; i++) await store.enqueue(panic(i));
    const first = await store.claim({ owner: 'w1', limit: 3, leaseMs: 60_000 });
    const second = await store.claim({ owner: 'w2', limit: 3, leaseMs: 60_000 });
    expect(first.map((r) => r.panic_location)).toEqual([0, 1, 2].map((i) => panic(i).panic_location));
    expect(second.map((r) => r.panic_location)).toEqual([3, 4].map((i) => panic(i).panic_location));
    expect(first.every((r) => r.status === 'repo_setup' && r.claim_owner === 'w1' && r.attempt === 1)).toBe(
      true,
    );
    expect(await store.claim({ owner: 'w3', limit: 3, leaseMs: 60_000 })).toEqual([]);
  });

  it('claims one location on demand', async () => {
    const store = await openStore();
    for (let i = 0; i < 3; i++) await store.enqueue(panic(i));
    const rows = await store.claim({
      owner: 'w',
      limit: 10,
      leaseMs: 1000,
      location: panic(2).panic_location,
    });
    expect(rows.map((r) => r.panic_location)).toEqual([panic(2).panic_location]);
  });

  it('reclaims an expired lease, counting the attempt, and gives up at maxAttempts', async () => {
    const store = await openStore();
    await store.enqueue(panic(1));
    const loc = panic(1).panic_location;
    let now = 1_000_000;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const [row] = await store.claim({ owner: `w${attempt}`, limit: 1, leaseMs: 100, now });
      expect(row?.attempt).toBe(attempt);
      // Not yet expired: nothing moves.
      expect(await store.reclaimExpired({ maxAttempts: 3, now: now + 50 })).toEqual({
        requeued: [],
        exhausted: [],
      });
      now += 200;
      const result = await store.reclaimExpired({ maxAttempts: 3, now });
      if (attempt < 3) expect(result).toEqual({ requeued: [loc], exhausted: [] });
      else expect(result).toEqual({ requeued: [], exhausted: [loc] });
    }
    const row = await store.require(loc);
    expect(row.status).toBe('needs_human_review');
    expect(row.retry_count).toBe(2);
    expect(row.workflow_error).toMatchObject({ phase: 'repo_setup', attempt: 3 });
    expect(row.workflow_error?.error).toMatch(/lease expired/);
  });

  it('fences transitions by owner, status and lease', async () => {
    const store = await openStore();
    await store.enqueue(panic(1));
    const loc = panic(1).panic_location;
    const now = 5_000_000;
    await store.claim({ owner: 'w1', limit: 1, leaseMs: 1000, now });
    await expect(
      store.transition({ location: loc, owner: 'w2', from: 'repo_setup', to: 'reproducing', now }),
    ).rejects.toBeInstanceOf(LostClaimError);
    await expect(
      store.transition({ location: loc, owner: 'w1', from: 'repo_setup', to: 'fixing', now }),
    ).rejects.toThrow(/not allowed/);
    await expect(
      store.transition({
        location: loc,
        owner: 'w1',
        from: 'repo_setup',
        to: 'reproducing',
        now: now + 5000,
      }),
    ).rejects.toThrow(/lease expired/);
    const row = await store.transition({
      location: loc,
      owner: 'w1',
      from: 'repo_setup',
      to: 'reproducing',
      now,
      set: { branch_name: 'fix/x' },
    });
    expect(row).toMatchObject({ status: 'reproducing', branch_name: 'fix/x' });
  });

  it('records a failure as needs_human_review with phase, error, attempt and run url', async () => {
    const store = await openStore();
    await store.enqueue(panic(1));
    const loc = panic(1).panic_location;
    await store.claim({ owner: 'w', limit: 1, leaseMs: 60_000 });
    const row = await store.fail({
      location: loc,
      owner: 'w',
      from: 'repo_setup',
      phase: 'repo_setup',
      error: 'boom',
      runUrl: 'https://x/run/1',
    });
    expect(row.status).toBe('needs_human_review');
    expect(row.claim_owner).toBeNull();
    expect(row.workflow_error).toMatchObject({
      phase: 'repo_setup',
      error: 'boom',
      attempt: 1,
      run_url: 'https://x/run/1',
    });
  });

  it('refuses to requeue a panic under a live claim unless forced', async () => {
    const store = await openStore();
    await store.enqueue(panic(1));
    const loc = panic(1).panic_location;
    await store.claim({ owner: 'w', limit: 1, leaseMs: 60_000 });
    await expect(store.requeue(loc)).rejects.toThrow(/being worked on/);
    expect((await store.requeue(loc, { force: true })).status).toBe('pending');
  });

  it('releases a claim cleanly without burning the attempt', async () => {
    const store = await openStore();
    await store.enqueue(panic(1));
    await store.claim({ owner: 'w', limit: 1, leaseMs: 60_000 });
    expect(await store.release(panic(1).panic_location, 'other')).toBe(false);
    expect(await store.release(panic(1).panic_location, 'w')).toBe(true);
    expect(await store.require(panic(1).panic_location)).toMatchObject({
      status: 'pending',
      attempt: 0,
      claim_owner: null,
    });
  });

  it('keeps logs as the seed payload and filters by location', async () => {
    const store = await openStore();
    await store.log({
      panic_location: 'a',
      phase: 'reproducing',
      level: 'info',
      message: 'one',
      metadata: { k: 1 },
    });
    await store.log({ panic_location: 'b', phase: 'fixing', level: 'warn', message: 'two' });
    const logs = await store.logs({ location: 'a' });
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      panic_location: 'a',
      phase: 'reproducing',
      level: 'info',
      message: 'one',
      metadata: { k: 1 },
    });
    expect(typeof logs[0]!.timestamp).toBe('string');
    expect((await store.logs()).map((l) => l.message)).toEqual(['one', 'two']);
  });

  it('merges per-phase metrics', async () => {
    const store = await openStore();
    await store.enqueue(panic(1));
    await store.recordPhase(panic(1).panic_location, 'reproducing', { turns: 3, cost_usd: 0.5 });
    await store.recordPhase(panic(1).panic_location, 'reproducing', { duration_ms: 10 });
    await store.recordPhase(panic(1).panic_location, 'fixing', { turns: 1 });
    expect((await store.require(panic(1).panic_location)).phase_metrics).toEqual({
      reproducing: { turns: 3, cost_usd: 0.5, duration_ms: 10 },
      fixing: { turns: 1 },
    });
  });

  it('caches preflight verdicts per base commit and config', async () => {
    const store = await openStore();
    expect(await store.preflightVerdict('abc1234', 'h')).toBeUndefined();
    await store.savePreflightVerdict({
      baseCommit: 'abc1234',
      configHash: 'h',
      ok: true,
      detail: 'ok',
      durationMs: 5,
    });
    expect(await store.preflightVerdict('abc1234', 'h')).toMatchObject({ ok: true, detail: 'ok' });
    expect(await store.preflightVerdict('abc1234', 'other')).toBeUndefined();
  });

  it('fails clearly on an unreachable database', async () => {
    await expect(PanicStore.open('libsql://127.0.0.1:1')).rejects.toThrow(/cannot reach the database/);
    await expect(PanicStore.open('http://127.0.0.1:1', 'tok-SECRET')).rejects.not.toThrow(/tok-SECRET/);
    await expect(PanicStore.open('not a url')).rejects.toThrow(/not a URL/);
    await expect(PanicStore.open('ftp://x')).rejects.toThrow(/unsupported database URL scheme/);
  });

  it('refuses a database from a newer panic-fix', async () => {
    const url = await tempDbUrl();
    (await openStore(url)).client.execute(
      `INSERT INTO panic_fix_schema (version) VALUES (${LATEST_SCHEMA_VERSION + 5})`,
    );
    await new Promise((r) => setTimeout(r, 50));
    await expect(PanicStore.open(url)).rejects.toThrow(/newer than this panic-fix/);
  });
});
