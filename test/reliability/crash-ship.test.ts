import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { panicNames } from '../../packages/core/src/naming.js';
import { gitIn } from '../../packages/testkit/src/target-repo/index.js';
import { crashKit, type Figures } from './crash-kit.js';
import { startRig, waitFor, type Rig } from './rig.js';

/**
 * Crash while shipping, where the outside world changes: killed after the push and before the PR,
 * then after the PR and before the state store heard of it. The next runs end with one branch (one
 * commit on main) and one PR, and shipping a finished panic again updates that same branch and PR.
 */
let rig: Rig;
let kit: ReturnType<typeof crashKit>;
let config: string;
const figures: Figures = { injected: 0, survived: 0 };

const C = 'round-single-argument';

beforeAll(async () => {
  rig = await startRig({ panicIds: [C] });
  config = await rig.properties('crash');
  kit = crashKit(rig, config, figures);
}, 120_000);

afterAll(async () => {
  await rig?.close();
  // The README quotes these figures.
  console.log(`crash-ship: faults injected ${figures.injected}, survived ${figures.survived}`);
});

describe('SIGKILL of panic-fix run while shipping', () => {
  it('killed while shipping, after the push and before the PR, then after the PR and before the state: one branch, one PR', async () => {
    const loc = kit.location(C);
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
    await kit.crash(first);
    expect((await rig.row(loc)).status).toBe('shipping');
    expect(rig.branches()).toContain(branch);
    expect(rig.pullsFor(branch)).toEqual([]);
    const pushed = gitIn(rig.origin, ['rev-parse', branch]);

    // Second run: the PR gets created, then requesting a reviewer fails once and the runner dies.
    await kit.waitForLeaseExpiry(loc);
    rig.github.injectFault({ operationId: 'pulls/request-reviewers', status: 503, times: 1 });
    from = rig.github.requests.length;
    const second = rig.runner({ config, location: loc, label: 'C-crash-2' });
    await waitFor('the PR and the failed reviewer request', () => seen('pulls/request-reviewers', from), {
      context: () => second.output().slice(-4000),
    });
    await kit.crash(second);
    const afterSecond = await rig.row(loc);
    expect(afterSecond.status).toBe('shipping');
    expect(afterSecond.attempt).toBe(2);
    expect(rig.pullsFor(branch)).toHaveLength(1);
    // The re-pushed branch replaced the first push (force-with-lease), it did not add a second branch.
    expect(gitIn(rig.origin, ['rev-list', '--count', `main..${branch}`])).toBe('1');
    expect(pushed).toMatch(/^[0-9a-f]{40}$/);

    await kit.waitForLeaseExpiry(loc);
    await kit.runToEnd('C-resume', loc);
    await kit.expectShippedOnce(loc, 3);
    const pr = rig.github.pulls.get(rig.pullsFor(branch)[0]!)!;
    expect(pr.reviewers).toContain('maintainer');
    expect(pr.labels).toContain('panic-fix');
    figures.survived += 2;
  });

  it('a requeued pr_open panic ships again onto the same branch and the same PR', async () => {
    const loc = kit.location(C);
    const branch = panicNames(loc).branch;
    const before = rig.pullsFor(branch);
    await kit.runToEnd('A-again', loc); // --location on a finished panic re-runs it on request
    const row = await rig.row(loc);
    expect(row.status).toBe('pr_open');
    expect(rig.pullsFor(branch)).toEqual(before);
    expect(rig.branches().filter((b) => b === branch)).toHaveLength(1);
    expect(gitIn(rig.origin, ['rev-list', '--count', `main..${branch}`])).toBe('1');
  });

  it("never force-pushes over a maintainer's commit on the branch: needs_human_review, branch and PR untouched", async () => {
    const loc = kit.location(C);
    const branch = panicNames(loc).branch;
    const before = rig.pullsFor(branch);
    // A maintainer pushes a follow-up commit onto the PR branch.
    const work = `${rig.origin}-maintainer`;
    gitIn(rig.origin, ['worktree', 'add', '-q', '--detach', work, branch]);
    gitIn(work, [
      '-c',
      'user.name=Maintainer',
      '-c',
      'user.email=m@example.invalid',
      'commit',
      '-q',
      '--allow-empty',
      '-m',
      'review follow-up',
    ]);
    gitIn(work, ['push', '-q', rig.origin, `HEAD:refs/heads/${branch}`]);
    const humanTip = gitIn(rig.origin, ['rev-parse', branch]);

    const runner = rig.runner({ config, location: loc, label: 'C-human' });
    await runner.exited;
    const row = await rig.row(loc);
    expect(row.status, runner.output().slice(-4000)).toBe('needs_human_review');
    expect(row.workflow_error?.phase).toBe('shipping');
    expect(row.workflow_error?.error).toMatch(/has a commit panic-fix did not make .* not overwriting it/);
    expect(gitIn(rig.origin, ['rev-parse', branch])).toBe(humanTip);
    expect(rig.pullsFor(branch)).toEqual(before);
  });
});
