import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { PanicStore } from '../packages/core/src/store/panic-store.js';

const PANICS = 20;
const ROUNDS = 10; // 10 rounds × 20 panics = 200 contested claims

function startWorker(url: string, owner: string) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, 'helpers', 'claim-worker.ts'), url, owner],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    child,
    async next(): Promise<Record<string, unknown>> {
      const { value, done } = await lines.next();
      if (done) throw new Error(`${owner} exited`);
      return JSON.parse(value as string) as Record<string, unknown>;
    },
  };
}

const workers: ChildProcess[] = [];
afterAll(() => workers.forEach((w) => w.kill()));

describe('claims under contention from two OS processes', () => {
  it('claims every panic exactly once per lease, 200 races', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'race-'));
    const url = `file:${path.join(dir, 'race.db')}`;
    const store = await PanicStore.open(url);
    for (let i = 0; i < PANICS; i++) {
      await store.enqueue({
        panic_location: `core/r${i}.rs:${i}:1`,
        panic_message: 'm',
        sql_statements: 's',
      });
    }
    const a = startWorker(url, 'A');
    const b = startWorker(url, 'B');
    workers.push(a.child, b.child);
    await Promise.all([a.next(), b.next()]);

    let contested = 0;
    const wins = { A: 0, B: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      for (const row of await store.list()) await store.requeue(row.panic_location, { force: true });
      a.child.stdin.write(`${JSON.stringify({ round })}\n`);
      b.child.stdin.write(`${JSON.stringify({ round })}\n`);
      const [ra, rb] = (await Promise.all([a.next(), b.next()])) as { claimed: string[] }[];
      const all = [...ra!.claimed, ...rb!.claimed];
      expect(all).toHaveLength(PANICS);
      expect(new Set(all).size).toBe(PANICS);
      contested += all.length;
      wins.A += ra!.claimed.length;
      wins.B += rb!.claimed.length;
      // The database agrees with what each worker believes it won.
      const owners = new Map((await store.list()).map((r) => [r.panic_location, r.claim_owner]));
      for (const loc of ra!.claimed) expect(owners.get(loc)).toBe(`A-r${round}`);
      for (const loc of rb!.claimed) expect(owners.get(loc)).toBe(`B-r${round}`);
    }
    expect(contested).toBe(PANICS * ROUNDS);
    // Both processes really competed (a lock-step run where one always wins proves nothing).
    expect(wins.A).toBeGreaterThan(0);
    expect(wins.B).toBeGreaterThan(0);
    store.close();
  });
});
