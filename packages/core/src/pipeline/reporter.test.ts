import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PanicStore } from '../store/panic-store.js';
import { LOG_BATCH_MS, PhaseLog, type Reporter } from './reporter.js';

let store: PanicStore | undefined;
afterEach(() => {
  store?.close();
  store = undefined;
});

async function openStore(): Promise<PanicStore> {
  const dir = await mkdtemp(path.join(tmpdir(), 'phase-log-'));
  store = await PanicStore.open(`file:${path.join(dir, 'panics.db')}`);
  return store;
}

function collectingReporter(lines: string[]): Reporter {
  return {
    log: (level, message) => lines.push(`${level}: ${message}`),
    group: (_title, fn) => fn(),
    summary: () => undefined,
    annotate: () => undefined,
    mask: () => undefined,
  };
}

describe('PhaseLog', () => {
  it('prints at once, writes the lines to the database together, in order, with their phase and time', async () => {
    const db = await openStore();
    const statements: number[] = [];
    const logMany = db.logMany.bind(db);
    db.logMany = (entries) => {
      statements.push(entries.length);
      return logMany(entries);
    };
    const printed: string[] = [];
    const log = new PhaseLog(collectingReporter(printed), db, 'core/a.rs:1:1', 'repo_setup');
    const before = new Date().toISOString();
    log.info('one');
    log.phase = 'reproducing';
    log.warn('two', { attempt: 2 });
    log.error('three');
    expect(printed).toEqual(['info: one', 'warn: two', 'error: three']);
    expect(await db.logs()).toEqual([]); // not yet written: batched
    await log.flush();
    expect(statements).toEqual([3]);
    const rows = await db.logs({ location: 'core/a.rs:1:1' });
    expect(rows.map((r) => [r.phase, r.level, r.message, r.metadata])).toEqual([
      ['repo_setup', 'info', 'one', undefined],
      ['reproducing', 'warn', 'two', { attempt: 2 }],
      ['reproducing', 'error', 'three', undefined],
    ]);
    for (const row of rows) expect(row.timestamp >= before).toBe(true);
  });

  it('writes a batch by itself after LOG_BATCH_MS, without a flush', async () => {
    const db = await openStore();
    const log = new PhaseLog(collectingReporter([]), db, 'core/b.rs:1:1', 'fixing');
    log.info('later');
    await new Promise((resolve) => setTimeout(resolve, LOG_BATCH_MS * 4));
    expect((await db.logs()).map((r) => r.message)).toEqual(['later']);
  });

  it('a database that refuses the write costs one warning, never the phase', async () => {
    const db = await openStore();
    db.logMany = () => Promise.reject(new Error('disk I/O error'));
    const printed: string[] = [];
    const log = new PhaseLog(collectingReporter(printed), db, 'core/c.rs:1:1', 'fixing');
    log.info('a');
    await log.flush();
    log.info('b');
    await log.flush();
    expect(printed).toEqual([
      'info: a',
      'warn: could not write logs to the database: disk I/O error',
      'info: b',
    ]);
  });
});
