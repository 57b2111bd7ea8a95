import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PanicStore, StoreError } from '../../packages/core/src/index.js';
import { runCliCaptured } from '../../packages/testkit/src/cli/captured.js';
import { lockDatabase, type DbLock } from './db-lock.js';
import { startRig, waitFor, type Rig } from './rig.js';

/**
 * Database faults: the state store unreachable, or locked by another process in the middle of a
 * phase. Expected: bounded retries with backoff, a clear failure, and no lost or half-made transition
 * (a panic is in its previous state under its lease, or in the new one).
 */
const figures = { injected: 0, survived: 0, clearFailures: 0 };

afterAll(() => {
  // The README quotes these figures.
  console.log(
    `db-faults: faults injected ${figures.injected}, survived ${figures.survived}, clear failures ${figures.clearFailures}`,
  );
});

const cli = (args: string[]) => runCliCaptured(args);

/** The row as another process (the sqlite3 shell) reads it. */
function otherProcessSees(dbFile: string): string {
  const r = spawnSync(
    'sqlite3',
    ['-cmd', '.timeout 5000', dbFile, 'SELECT status, failing_seed FROM panic_fixes'],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`sqlite3: ${r.stderr}`);
  return r.stdout.trim();
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

describe('state store unreachable', () => {
  it('a server that resets every connection: four tries with backoff, then a clear error', async () => {
    let connections = 0;
    const server = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    const port = await listen(server);
    try {
      const r = await cli(['status', '--db', `libsql://127.0.0.1:${port}`]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(
          `cannot reach the database at libsql://127\\.0\\.0\\.1:${port}: connect failed after 4 attempts: .*ECONNRESET`,
        ),
      );
      expect(connections).toBe(4);
      figures.injected++;
      figures.clearFailures++;
    } finally {
      server.close();
    }
  });

  it('a closed port (libsql:// and https://): refused, retried, a clear error without the token', async () => {
    const server = net.createServer();
    const port = await listen(server);
    await new Promise((r) => server.close(r));
    for (const url of [`libsql://127.0.0.1:${port}`, `https://127.0.0.1:${port}`]) {
      const error = await PanicStore.open(url, 'secret-db-token-123').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StoreError);
      expect((error as Error).message).toMatch(
        /cannot reach the database .*after 4 attempts: .*ECONNREFUSED/,
      );
      expect((error as Error).message).not.toContain('secret-db-token-123');
      figures.injected++;
      figures.clearFailures++;
    }
  });
});

describe('state store locked by another process', () => {
  let dir: string;
  let dbFile: string;
  let store: PanicStore;
  const loc = 'core/vdbe/execute.rs:10:5';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'db-faults-'));
    dbFile = path.join(dir, 'state.db');
    // Keep these tests short: each attempt waits 300 ms for the lock instead of 10 s.
    store = await PanicStore.open(`file:${dbFile}`, undefined, { busyTimeoutMs: 300 });
    await store.enqueue({ panic_location: loc, panic_message: 'boom', sql_statements: 'SELECT 1;' });
    await store.claim({ owner: 'w1', limit: 1, leaseMs: 600_000 });
    await store.transition({
      location: loc,
      owner: 'w1',
      from: 'repo_setup',
      to: 'reproducing',
      leaseMs: 600_000,
    });
  });

  afterAll(() => store?.close());

  it('a lock outlasting every retry: the transition fails clearly and the row keeps its state and lease', async () => {
    const before = await store.require(loc);
    const lock = await lockDatabase(dbFile);
    let error: unknown;
    try {
      error = await store
        .transition({
          location: loc,
          owner: 'w1',
          from: 'reproducing',
          to: 'fixing',
          set: { failing_seed: '17' },
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
    } finally {
      await lock.release();
    }
    figures.injected++;
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toMatch(
      /transition reproducing → fixing failed after 4 attempts: .*(SQLITE_BUSY|database is locked)/,
    );
    figures.clearFailures++;
    const after = await store.require(loc);
    expect(after).toMatchObject({
      status: 'reproducing',
      claim_owner: 'w1',
      claim_expires_at: before.claim_expires_at,
      failing_seed: null,
      attempt: before.attempt,
    });
    // Nothing was lost: the same transition goes through once the database is back.
    const moved = await store.transition({
      location: loc,
      owner: 'w1',
      from: 'reproducing',
      to: 'fixing',
      set: { failing_seed: '17' },
    });
    expect(moved).toMatchObject({ status: 'fixing', failing_seed: '17', claim_owner: 'w1' });
    // …and it is committed: another process sees it and can take the lock (before the store replaced
    // its client after SQLITE_BUSY, a spoiled pooled connection kept a lock and this write unseen).
    expect(otherProcessSees(dbFile)).toBe('fixing|17');
    await (await lockDatabase(dbFile)).release();
  });

  it('a lock released during the retries: the transition, lease renewal and log write go through', async () => {
    const lock = await lockDatabase(dbFile);
    const releasing = new Promise<void>((resolve) =>
      setTimeout(() => void lock.release().then(resolve), 500),
    );
    const [moved] = await Promise.all([
      store.transition({ location: loc, owner: 'w1', from: 'fixing', to: 'shipping', leaseMs: 600_000 }),
      store.renewLease(loc, 'w1', 600_000),
      store.log({ panic_location: loc, phase: 'fixing', level: 'info', message: 'written after the lock' }),
      releasing,
    ]);
    figures.injected++;
    figures.survived++;
    expect(moved.status).toBe('shipping');
    expect(otherProcessSees(dbFile)).toBe('shipping|17');
    expect((await store.logs({ location: loc })).map((l) => l.message)).toContain('written after the lock');
  });
});

describe('state store locked in the middle of a real run', () => {
  let rig: Rig;
  let config: string;
  let lock: DbLock | undefined;
  const A = 'insert-partial-columns';
  const B = 'order-by-unselected-column';

  beforeAll(async () => {
    rig = await startRig({ panicIds: [A, B] });
    // A long lease: the lock is the fault here, not lease expiry.
    config = await rig.properties('db', { leaseMs: 120_000 });
  }, 120_000);

  afterAll(async () => {
    await lock?.release().catch(() => undefined);
    await rig?.close();
  });

  const location = (id: string) => rig.panics.find((p) => p.id === id)!.panic_location;

  /** Locks the DB when the agent of `marker` for `loc` asks for its final turn (after its last tool). */
  function lockAtEndOf(marker: 'reproducer' | 'fixer', loc: string): Promise<DbLock> {
    return new Promise((resolve, reject) => {
      rig.onModelTurn = (ctx) => {
        const first = JSON.stringify(ctx.body.messages?.[0] ?? '');
        const assistantTurns = (ctx.body.messages ?? []).filter((m) => m.role === 'assistant').length;
        // The scripted agents end with their 5th answer (read, edit, tool, describe, final text).
        if (first.includes(`panic-fix:${marker}`) && first.includes(`\`${loc}\``) && assistantTurns === 4) {
          rig.onModelTurn = undefined;
          lockDatabase(rig.dbFile).then(resolve, reject);
        }
      };
    });
  }

  it('a 5 s lock (longer than one busy timeout) at the end of the reproducer: the run waits it out', async () => {
    const loc = location(A);
    const locked = lockAtEndOf('reproducer', loc);
    const runner = rig.runner({ config, location: loc, label: 'db-A' });
    lock = await locked;
    figures.injected++;
    // Longer than the busy timeout (2 s): the first attempts of the next writes fail, a retry succeeds.
    await new Promise((r) => setTimeout(r, 5_000));
    await lock.release();
    lock = undefined;
    const exit = await runner.exited;
    expect(exit.code, runner.output().slice(-6000)).toBe(0);
    const row = await rig.row(loc);
    expect(row.status, JSON.stringify(row.workflow_error)).toBe('pr_open');
    expect(row.attempt).toBe(1);
    // Waited out by retries with backoff: no write gave up.
    expect(runner.output()).not.toMatch(/failed after \d+ attempts/);
    figures.survived++;
  });

  it('a lock outlasting the retries after the fixer: a clear failure, the row consistent, and an explicit requeue queues it again', async () => {
    const loc = location(B);
    const locked = lockAtEndOf('fixer', loc);
    const runner = rig.runner({ config, location: loc, label: 'db-B' });
    lock = await locked;
    figures.injected++;
    await waitFor(
      'the runner to give up on the database',
      () => /^(?!.*could not (write logs|renew)).*failed after 4 attempts/m.test(runner.output()),
      {
        timeoutMs: 90_000,
        everyMs: 200,
        context: () => runner.output().slice(-4000),
      },
    );
    await lock.release();
    lock = undefined;
    const exit = await runner.exited;
    expect(exit.code, runner.output().slice(-6000)).toBe(0);
    const row = await rig.row(loc);
    // Either still in fixing under its lease (reclaimed after expiry) or failed with the reason: never
    // half-moved (shipping without the artifact, pr_open without a PR …).
    if (row.status === 'fixing') expect(row.claim_owner).not.toBeNull();
    else {
      expect(row.status).toBe('needs_human_review');
      expect(row.workflow_error?.error).toMatch(
        /failed after 4 attempts: .*(SQLITE_BUSY|database is locked)/,
      );
    }
    figures.clearFailures++;
    expect(rig.pullsFor(row.branch_name ?? 'none')).toEqual([]);

    const requeue = await cli(['requeue', loc, '--force', '--db', rig.dbUrl]);
    expect(requeue.code, requeue.stderr).toBe(0);
    // Back in the queue for the next run (the reclaim-and-complete path is crash-resume's subject).
    expect(await rig.row(loc)).toMatchObject({ status: 'pending', claim_owner: null, attempt: 0 });
  });
});
