import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crashKit, type Figures } from './crash-kit.js';
import { startRig, waitFor, type Rig } from './rig.js';

/**
 * Crash and resume: `panic-fix run` is a separate node process, SIGKILLed while a panic is in each
 * phase (no chance to release its claim or clean up). After the lease runs out, the next run
 * reclaims the panic (attempt + 1, or needs_human_review once attempts are used up) and takes it to
 * a draft PR; the state store, the pushed branch and the PR stay consistent: one branch, one PR.
 */
let rig: Rig;
let kit: ReturnType<typeof crashKit>;
const figures: Figures = { injected: 0, survived: 0 };

const A = 'insert-partial-columns';
const B = 'order-by-unselected-column';
const D = 'hex-literal-overflow';

beforeAll(async () => {
  rig = await startRig({ panicIds: [A, B, D] });
  kit = crashKit(rig, await rig.properties('crash'), figures);
}, 120_000);

afterAll(async () => {
  await rig?.close();
  // The README quotes these figures.
  console.log(`crash-resume: faults injected ${figures.injected}, survived ${figures.survived}`);
});

describe('SIGKILL of panic-fix run, then the next run', () => {
  it('reclaims a panic killed while reproducing and takes it to one PR', async () => {
    const { loc, orphans } = await kit.crashIn(A, 'reproducing', 'reproducer');
    expect(orphans).toEqual([]);
    await kit.waitForLeaseExpiry(loc);
    const second = await kit.runToEnd('A-resume', loc);
    expect(second.output()).toContain(`lease expired, requeued: ${loc}`);
    await kit.expectShippedOnce(loc, 2);
    expect((await rig.row(loc)).retry_count).toBe(1);
    figures.survived++;
  });

  it('reclaims a panic killed while fixing and takes it to one PR', async () => {
    const { loc, orphans } = await kit.crashIn(B, 'fixing', 'fixer');
    expect(orphans).toEqual([]);
    await kit.waitForLeaseExpiry(loc);
    await kit.runToEnd('B-resume', loc);
    await kit.expectShippedOnce(loc, 2);
    figures.survived++;
  });

  it('out of attempts: a panic killed on its last attempt goes to needs_human_review, not back to the queue', async () => {
    const loc = kit.location(D);
    const last = await rig.properties('one-attempt', { maxAttempts: 1 });
    const runner = rig.runner({ config: last, location: loc, label: 'D-crash' });
    await waitFor('D reproducing', async () => (await rig.row(loc)).status === 'reproducing', {
      context: () => runner.output().slice(-4000),
    });
    await kit.crash(runner);
    await kit.waitForLeaseExpiry(loc);
    // A scheduled run (no --location): the expired claim is the only thing it finds.
    const next = rig.runner({ config: last, label: 'D-reclaim' });
    expect((await next.exited).code, next.output()).toBe(0);
    const row = await rig.row(loc);
    expect(row.status).toBe('needs_human_review');
    expect(row.claim_owner).toBeNull();
    expect(row.workflow_error?.phase).toBe('reproducing');
    expect(row.workflow_error?.error).toMatch(/lease expired in reproducing .* no attempts left/);
    figures.survived++;
    // Nothing anywhere is left in an intermediate state.
    const rows = await rig.rows();
    expect(rows.filter((r) => !['pr_open', 'needs_human_review'].includes(r.status))).toEqual([]);
  });
});
