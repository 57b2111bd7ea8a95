import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Status } from '../../packages/core/src/index.js';
import { panicNames } from '../../packages/core/src/naming.js';
import { gitIn } from '../../packages/testkit/src/target-repo/index.js';
import { alive, cmdline, descendants, startRig, waitFor, type Rig, type Runner } from './rig.js';

/**
 * Crash and resume: `panic-fix run` is a separate node process, SIGKILLed while a panic is in each
 * phase (no chance to release its claim or clean up). After the lease runs out, the next run
 * reclaims the panic (attempt + 1, or needs_human_review once attempts are used up) and takes it to
 * a draft PR; the state store, the pushed branch and the PR stay consistent: one branch, one PR.
 */
let rig: Rig;
let config: string;
const figures = { injected: 0, survived: 0 };

const A = 'insert-partial-columns';
const B = 'order-by-unselected-column';
const C = 'round-single-argument';
const D = 'hex-literal-overflow';

beforeAll(async () => {
  rig = await startRig({ panicIds: [A, B, C, D] });
  config = await rig.properties('crash');
}, 120_000);

afterAll(async () => {
  await rig?.close();
  // The README quotes these figures.
  console.log(`crash-resume: faults injected ${figures.injected}, survived ${figures.survived}`);
});

function location(id: string): string {
  return rig.panics.find((p) => p.id === id)!.panic_location;
}

function agentStarted(loc: string, marker: 'reproducer' | 'fixer'): boolean {
  return rig.model
    .mainRequests()
    .some((r) => r.body.includes(`panic-fix:${marker}`) && r.body.includes(`\`${loc}\``));
}

/** SIGKILLs the runner (only the runner: a crashed process gets no say in what its children do). */
async function crash(runner: Runner): Promise<{ orphans: string[] }> {
  const before = descendants(runner.pid);
  process.kill(runner.pid, 'SIGKILL');
  const exit = await runner.exited;
  expect(exit.signal).toBe('SIGKILL');
  figures.injected++;
  // Agents and their tools run in process groups of their own; once their parent is gone they must
  // not keep working on the sandbox (stdout to a dead parent, MCP client gone …).
  let left: number[] = [];
  await waitFor(
    'the killed runner’s children to exit',
    () => {
      left = alive(before);
      return left.length === 0 ? true : undefined;
    },
    { timeoutMs: 15_000, context: () => left.map((p) => `${p}: ${cmdline(p)}`).join('\n') },
  ).catch(() => undefined);
  const orphans = alive(before).map((p) => `${p}: ${cmdline(p)}`);
  for (const p of alive(before)) process.kill(p, 'SIGKILL');
  return { orphans };
}

async function waitForLeaseExpiry(loc: string): Promise<void> {
  const row = await rig.row(loc);
  const until = (row.claim_expires_at ?? 0) + 250;
  await new Promise((r) => setTimeout(r, Math.max(0, until - Date.now())));
}

async function runToEnd(label: string, loc?: string): Promise<Runner> {
  const runner = rig.runner({ config, label, ...(loc ? { location: loc } : {}) });
  const exit = await runner.exited;
  expect(exit.code, runner.output().slice(-8000)).toBe(0);
  return runner;
}

/** One branch for the panic on the origin, one commit on main, one PR whose URL the row records. */
async function expectShippedOnce(loc: string, attempt: number) {
  const row = await rig.row(loc);
  const branch = panicNames(loc).branch;
  expect(row.status, JSON.stringify(row.workflow_error)).toBe('pr_open');
  expect(row.attempt).toBe(attempt);
  expect(row.claim_owner).toBeNull();
  expect(row.branch_name).toBe(branch);
  expect(rig.branches().filter((b) => b === branch)).toEqual([branch]);
  expect(gitIn(rig.origin, ['rev-list', '--count', `main..${branch}`])).toBe('1');
  const pulls = rig.pullsFor(branch);
  expect(pulls).toHaveLength(1);
  expect(row.pr_url).toMatch(new RegExp(`/pull/${pulls[0]}$`));
  expect(rig.github.violations).toEqual([]);
}

async function crashIn(id: string, phase: Status, marker: 'reproducer' | 'fixer') {
  const loc = location(id);
  const runner = rig.runner({ config, location: loc, label: `${id}-crash` });
  await waitFor(
    `${id} in ${phase} with its agent running`,
    async () => (await rig.row(loc)).status === phase && agentStarted(loc, marker),
    { context: () => runner.output().slice(-4000) },
  );
  const { orphans } = await crash(runner);
  const stranded = await rig.row(loc);
  expect(stranded.status).toBe(phase);
  expect(stranded.claim_owner).not.toBeNull();
  expect(stranded.attempt).toBe(1);
  return { loc, orphans };
}

describe('SIGKILL of panic-fix run, then the next run', () => {
  it('reclaims a panic killed while reproducing and takes it to one PR', async () => {
    const { loc, orphans } = await crashIn(A, 'reproducing', 'reproducer');
    expect(orphans).toEqual([]);
    await waitForLeaseExpiry(loc);
    const second = await runToEnd('A-resume', loc);
    expect(second.output()).toContain(`lease expired, requeued: ${loc}`);
    await expectShippedOnce(loc, 2);
    expect((await rig.row(loc)).retry_count).toBe(1);
    figures.survived++;
  });

  it('reclaims a panic killed while fixing and takes it to one PR', async () => {
    const { loc, orphans } = await crashIn(B, 'fixing', 'fixer');
    expect(orphans).toEqual([]);
    await waitForLeaseExpiry(loc);
    await runToEnd('B-resume', loc);
    await expectShippedOnce(loc, 2);
    figures.survived++;
  });

  it('killed while shipping, after the push and before the PR, then after the PR and before the state: one branch, one PR', async () => {
    const loc = location(C);
    const branch = panicNames(loc).branch;
    const seen = (operationId: string, from: number) =>
      rig.github.requests.slice(from).some((r) => r.operationId === operationId);
    // The first create fails (503); the runner waits ≥ 1 s before looking again, and dies there.
    rig.github.injectFault({ operationId: 'pulls/create', status: 503, times: 1 });
    let from = rig.github.requests.length;
    const first = rig.runner({ config, location: loc, label: 'C-crash-1' });
    await waitFor('the first PR creation attempt', () => seen('pulls/create', from), {
      context: () => first.output().slice(-4000),
    });
    await crash(first);
    expect((await rig.row(loc)).status).toBe('shipping');
    expect(rig.branches()).toContain(branch);
    expect(rig.pullsFor(branch)).toEqual([]);
    const pushed = gitIn(rig.origin, ['rev-parse', branch]);

    // Second run: the PR gets created, then requesting a reviewer fails once and the runner dies.
    await waitForLeaseExpiry(loc);
    rig.github.injectFault({ operationId: 'pulls/request-reviewers', status: 503, times: 1 });
    from = rig.github.requests.length;
    const second = rig.runner({ config, location: loc, label: 'C-crash-2' });
    await waitFor('the PR and the failed reviewer request', () => seen('pulls/request-reviewers', from), {
      context: () => second.output().slice(-4000),
    });
    await crash(second);
    const afterSecond = await rig.row(loc);
    expect(afterSecond.status).toBe('shipping');
    expect(afterSecond.attempt).toBe(2);
    expect(rig.pullsFor(branch)).toHaveLength(1);
    // The re-pushed branch replaced the first push (force-with-lease), it did not add a second branch.
    expect(gitIn(rig.origin, ['rev-list', '--count', `main..${branch}`])).toBe('1');
    expect(pushed).toMatch(/^[0-9a-f]{40}$/);

    await waitForLeaseExpiry(loc);
    await runToEnd('C-resume', loc);
    await expectShippedOnce(loc, 3);
    const pr = rig.github.pulls.get(rig.pullsFor(branch)[0]!)!;
    expect(pr.reviewers).toContain('maintainer');
    expect(pr.labels).toContain('panic-fix');
    figures.survived += 2;
  });

  it('a requeued pr_open panic ships again onto the same branch and the same PR', async () => {
    const loc = location(A);
    const branch = panicNames(loc).branch;
    const before = rig.pullsFor(branch);
    await runToEnd('A-again', loc); // --location on a finished panic re-runs it on request
    const row = await rig.row(loc);
    expect(row.status).toBe('pr_open');
    expect(rig.pullsFor(branch)).toEqual(before);
    expect(rig.branches().filter((b) => b === branch)).toHaveLength(1);
    expect(gitIn(rig.origin, ['rev-list', '--count', `main..${branch}`])).toBe('1');
  });

  it('out of attempts: a panic killed on its last attempt goes to needs_human_review, not back to the queue', async () => {
    const loc = location(D);
    const last = await rig.properties('one-attempt', { maxAttempts: 1 });
    const runner = rig.runner({ config: last, location: loc, label: 'D-crash' });
    await waitFor('D reproducing', async () => (await rig.row(loc)).status === 'reproducing', {
      context: () => runner.output().slice(-4000),
    });
    await crash(runner);
    await waitForLeaseExpiry(loc);
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
