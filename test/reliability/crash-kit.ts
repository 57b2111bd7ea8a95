import { expect } from 'vitest';
import type { Status } from '../../packages/core/src/index.js';
import { panicNames } from '../../packages/core/src/naming.js';
import { gitIn } from '../../packages/testkit/src/target-repo/index.js';
import { alive, cmdline, descendants, waitFor, type Rig, type Runner } from './rig.js';

export interface Figures {
  injected: number;
  survived: number;
}

/** Helpers of the crash tests, bound to one rig and the properties file its runners use. */
export function crashKit(rig: Rig, config: string, figures: Figures) {
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

  return { location, agentStarted, crash, waitForLeaseExpiry, runToEnd, expectShippedOnce, crashIn };
}
