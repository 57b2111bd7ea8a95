import { afterEach, describe, expect, it } from 'vitest';
import { createClockClient } from './client.js';
import { type BudgetClock, startBudgetClock, unionMs } from './server.js';

let clock: BudgetClock | undefined;
afterEach(async () => {
  await clock?.close();
  clock = undefined;
});

/** A hand-driven clock: tests move time explicitly, so no assertion depends on the machine's speed. */
function fakeTime(start = 1_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

const TOKEN = 'test-token-0123456789abcdef';

function call(url: string, path: string, opts: { token?: string; body?: string; method?: string } = {}) {
  return fetch(`${url}${path}`, {
    method: opts.method ?? 'POST',
    headers: {
      ...(opts.token === undefined ? {} : { authorization: `Bearer ${opts.token}` }),
      'content-type': 'application/json',
    },
    ...(opts.method === 'GET' ? {} : { body: opts.body ?? '{}' }),
  });
}

describe('unionMs', () => {
  it('counts overlapping and nested intervals once and open ones up to now', () => {
    const intervals = [
      { start: 0, end: 10 },
      { start: 5, end: 15 },
      { start: 6, end: 7 },
      { start: 20, end: 30 },
      { start: 40, end: undefined },
    ];
    expect(unionMs(intervals, 0, 50)).toBe(15 + 10 + 10);
    expect(unionMs(intervals, 8, 25)).toBe(7 + 5);
    expect(unionMs([], 0, 50)).toBe(0);
  });
});

describe('budget clock server', () => {
  it('requires the bearer token', async () => {
    clock = await startBudgetClock({ token: TOKEN });
    expect(clock.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await call(clock.url, '/runs/a/started', { body: '{"kind":"simulator"}' })).status).toBe(401);
    expect(
      (await call(clock.url, '/runs/a/started', { token: 'wrong', body: '{"kind":"simulator"}' })).status,
    ).toBe(401);
    expect(clock.activeRuns()).toEqual([]);
    expect(
      (await call(clock.url, '/runs/a/started', { token: TOKEN, body: '{"kind":"simulator"}' })).status,
    ).toBe(200);
    expect(clock.activeRuns().map((r) => r.id)).toEqual(['a']);
  });

  it('rejects malformed ids, bodies and routes without recording anything', async () => {
    clock = await startBudgetClock({ token: TOKEN });
    const bad = [
      await call(clock.url, '/runs/a/started', { token: TOKEN, body: 'not json' }),
      await call(clock.url, '/runs/a/started', { token: TOKEN, body: '{"kind":"nap"}' }),
      await call(clock.url, '/runs/a/started', { token: TOKEN, body: '{"kind":"simulator","extra":1}' }),
      await call(clock.url, `/runs/${'x'.repeat(65)}/started`, {
        token: TOKEN,
        body: '{"kind":"simulator"}',
      }),
      await call(clock.url, '/runs/a%2F..%2Fb/started', { token: TOKEN, body: '{"kind":"simulator"}' }),
      await call(clock.url, '/runs/a/paused', { token: TOKEN }),
      await call(clock.url, '/runs/unknown/finished', { token: TOKEN }),
      await call(clock.url, '/runs/a/started', {
        token: TOKEN,
        body: JSON.stringify({ kind: 'simulator', label: 'x'.repeat(20_000) }),
      }),
    ];
    expect(bad.map((r) => r.status)).toEqual([400, 400, 400, 400, 400, 404, 404, 413]);
    expect(clock.activeRuns()).toEqual([]);
    expect(clock.status().runsStarted).toBe(0);
  });

  it('excludes the union of runs, counting unfinished runs up to now', async () => {
    const time = fakeTime();
    clock = await startBudgetClock({ token: TOKEN, now: time.now, budgetMs: 60_000 });
    const post = (path: string, body = '{}') => call(clock!.url, path, { token: TOKEN, body });
    await post('/runs/r1/started', '{"kind":"simulator","label":"seed 1"}');
    time.advance(1_000);
    await post('/runs/r2/started', '{"kind":"validation"}');
    time.advance(500);
    await post('/runs/r1/finished');
    time.advance(1_000);
    await post('/runs/r2/finished');
    await post('/runs/r2/finished'); // idempotent
    time.advance(2_000);
    expect(clock.excludedMs()).toBe(2_500);
    await post('/runs/r3/started', '{"kind":"simulator"}');
    await post('/runs/r3/started', '{"kind":"simulator"}'); // duplicate start keeps the first
    time.advance(700);
    expect(clock.excludedMs()).toBe(3_200);
    expect(clock.activeRuns()).toEqual([{ id: 'r3', kind: 'simulator', label: '', startedAt: 5_500 }]);
    const status = await (await call(clock.url, '/status', { token: TOKEN, method: 'GET' })).json();
    expect(status).toEqual({
      elapsedMs: 5_200,
      excludedMs: 3_200,
      agentMs: 2_000,
      budgetMs: 60_000,
      openRuns: 1,
      runsStarted: 3,
      runsFinished: 2,
    });
    // A past instant can be asked for too (the runner samples the clock at the agent's start).
    expect(clock.excludedMs(2_000)).toBe(1_000);
  });

  it('is driven by the clock client the tools use', async () => {
    const time = fakeTime();
    clock = await startBudgetClock({ token: TOKEN, now: time.now });
    const client = createClockClient({ url: clock.url, token: clock.token });
    const outcome = await client.during({ kind: 'simulator', label: 'run' }, async () => {
      expect(clock!.activeRuns()).toHaveLength(1);
      time.advance(3_000);
      return 42;
    });
    expect(outcome).toEqual({ result: 42, clockReached: true });
    expect(clock.excludedMs()).toBe(3_000);
    expect(clock.activeRuns()).toEqual([]);
    const wrong = await createClockClient({ url: clock.url, token: 'x'.repeat(20) }).during(
      { kind: 'validation', label: '' },
      async () => 'still runs',
    );
    expect(wrong).toMatchObject({
      result: 'still runs',
      clockReached: false,
      clockError: expect.stringContaining('401'),
    });
  });
});
