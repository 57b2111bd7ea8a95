import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PanicStore } from '../../packages/core/src/index.js';
import { runCliCaptured } from '../../packages/testkit/src/cli/captured.js';

/**
 * Re-enqueueing a location that is already stored: a clear refusal, or an explicit requeue; never a
 * silent overwrite, and never a requeue from under a live claim unless forced.
 */
const cli = (args: string[]) => runCliCaptured(args);

describe('enqueue of an existing location', () => {
  it('refuses in every state, changes nothing, and requeues only when asked (and forced under a live claim)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 're-enqueue-db-'));
    const db = `file:${path.join(dir, 'state.db')}`;
    const loc = 'core/vdbe/execute.rs:7:3';
    const enqueue = (extra: string[] = []) =>
      cli(['enqueue', loc, '--message', 'second message', '--sql', 'SELECT 2;', '--db', db, ...extra]);
    expect((await cli(['enqueue', loc, '--message', 'first', '--sql', 'SELECT 1;', '--db', db])).code).toBe(
      0,
    );

    const store = await PanicStore.open(db);
    try {
      await store.claim({ owner: 'runner-1', limit: 1, leaseMs: 600_000 });
      await store.transition({ location: loc, owner: 'runner-1', from: 'repo_setup', to: 'reproducing' });
      const live = await store.require(loc);

      // Plain enqueue: refused, row untouched.
      const dup = await enqueue();
      expect(dup.code).toBe(1);
      expect(dup.stderr).toMatch(/already stored \(status reproducing\).*--requeue/);
      // --requeue under a live claim: refused too (two workers on one panic otherwise).
      const requeue = await enqueue(['--requeue']);
      expect(requeue.code).toBe(1);
      expect(requeue.stderr).toMatch(/being worked on \(reproducing, claimed by runner-1\).*--force/);
      expect(await store.require(loc)).toEqual(live);

      // Finished: still refused without --requeue; with it, back to pending with the new text.
      await store.transition({
        location: loc,
        owner: 'runner-1',
        from: 'reproducing',
        to: 'needs_human_review',
      });
      const finished = await store.require(loc);
      expect((await enqueue()).code).toBe(1);
      expect(await store.require(loc)).toEqual(finished);
      const again = await enqueue(['--requeue']);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/requeued/);
      expect(await store.require(loc)).toMatchObject({
        status: 'pending',
        panic_message: 'second message',
        sql_statements: 'SELECT 2;',
        attempt: 0,
        claim_owner: null,
      });

      // A live claim can be taken back only with --force.
      await store.claim({ owner: 'runner-2', limit: 1, leaseMs: 600_000 });
      expect((await enqueue(['--requeue', '--force'])).code).toBe(0);
      expect((await store.require(loc)).status).toBe('pending');
      expect(await store.list()).toHaveLength(1);
    } finally {
      store.close();
    }
  });
});
