import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWorkflow } from '../../packages/testkit/src/workflow-harness/index.js';
import { fixtureRepo } from './helpers.js';

describe('runWorkflow: pipeline shape (needs, outputs, fromJSON matrix, max-parallel, artifacts)', () => {
  it('runs jobs in needs order, bounds legs by max-parallel and round-trips artifacts', async () => {
    const { repoRoot, workDir } = await fixtureRepo();
    const markers = path.join(workDir, 'markers');
    const result = await runWorkflow({
      workflowFile: 'workflows/pipeline.yml',
      repoRoot,
      workDir,
      event: 'workflow_dispatch',
      inputs: { count: '4' },
      env: { MARKER_DIR: markers },
    });
    expect(result.conclusion).toBe('success');
    expect(result.jobOrder).toEqual(['prepare', 'work', 'report']);

    const prepare = result.jobs.prepare!;
    expect(prepare.outputs.count).toBe('4');
    expect(JSON.parse(prepare.outputs.matrix!)).toEqual({
      include: [1, 2, 3, 4].map((index) => ({ slug: `p${index}`, index })),
    });

    const work = result.jobs.work!;
    expect(work.strategy).toEqual({ maxParallel: 2, failFast: false, legCount: 4 });
    expect(work.legs.map((leg) => leg.name)).toEqual([
      'work (p1, 1)',
      'work (p2, 2)',
      'work (p3, 3)',
      'work (p4, 4)',
    ]);
    // Four 400 ms legs, two slots: the harness ran two at once and never three.
    expect(work.maxObservedConcurrency).toBe(2);
    // Seen from the processes themselves: no leg ever saw more than two legs running.
    const seen = await readdir(path.join(markers, 'seen'));
    expect(seen).toHaveLength(4);
    for (const file of seen) {
      expect(Number(await readFile(path.join(markers, 'seen', file), 'utf8'))).toBeLessThanOrEqual(2);
    }
    expect(work.legs.every((leg) => leg.result === 'success')).toBe(true);
    expect(['p1', 'p2', 'p3', 'p4']).toContain(work.outputs.last);
    // Every leg had its own runner temp, as every job has its own runner.
    expect(new Set(work.legs.map((leg) => leg.steps[1]!.outputs.slug)).size).toBe(4);

    expect((await readdir(result.artifactsDir)).sort()).toEqual(['out-p1', 'out-p2', 'out-p3', 'out-p4']);
    const report = result.jobs.report!;
    expect(report.result).toBe('success');
    for (const leg of report.legs) {
      const slug = (leg.matrix as { slug: string }).slug;
      const read = leg.steps.find((step) => step.id === 'read')!;
      expect(read.outputs).toEqual({
        content: `result of ${slug}`,
        detail: JSON.stringify({ slug }),
        work_result: 'success',
      });
    }
  });

  it('skips the matrix jobs when preflight emits nothing and the schedule event has no inputs', async () => {
    const { repoRoot, workDir } = await fixtureRepo();
    const dispatch = await runWorkflow({
      workflowFile: 'workflows/pipeline.yml',
      repoRoot,
      workDir,
      event: 'workflow_dispatch',
      inputs: { count: '0' },
    });
    expect(dispatch.jobs.work!.result).toBe('skipped');
    // report runs (always()) but its matrix is empty: GitHub fails a job whose matrix expands to nothing.
    expect(dispatch.jobs.report!.result).toBe('failure');
    expect(dispatch.jobs.report!.error).toMatch(/matrix/);

    const scheduled = await runWorkflow({
      workflowFile: 'workflows/pipeline.yml',
      repoRoot,
      workDir: path.join(workDir, 'scheduled'),
      event: 'schedule',
    });
    expect(scheduled.conclusion).toBe('success');
    expect(scheduled.jobs.work!.legs).toHaveLength(4);
    expect(JSON.parse(await readFile(scheduled.eventPath, 'utf8'))).toEqual({ schedule: '0 * * * *' });
  });
});

describe('runWorkflow: status functions, continue-on-error, fail-fast', () => {
  it('follows GitHub semantics for failure(), always(), skipped dependants and fail-fast', async () => {
    const { repoRoot, workDir } = await fixtureRepo();
    const result = await runWorkflow({
      workflowFile: 'workflows/failures.yml',
      repoRoot,
      workDir,
      event: 'workflow_dispatch',
    });
    expect(result.conclusion).toBe('failure');
    const broken = result.jobs.broken!;
    expect(broken.result).toBe('failure');
    const steps = Object.fromEntries(broken.legs[0]!.steps.map((step) => [step.id, step]));
    expect(steps.tolerated).toMatchObject({ outcome: 'failure', conclusion: 'success', exitCode: 7 });
    expect(steps.fails).toMatchObject({ outcome: 'failure', conclusion: 'failure', exitCode: 1 });
    expect(steps.fails!.log).toContain('about to fail');
    expect(steps.after!.outcome).toBe('skipped');
    expect(steps['on-failure']!.outcome).toBe('success');
    expect(steps['on-failure']!.log).toContain('failure handler ran');
    expect(steps['on-always']!.outputs).toEqual({ tolerated: 'failure/success' });

    expect(result.jobs.dependent!.result).toBe('skipped');
    expect(result.jobs.dependent!.legs).toEqual([]);
    expect(result.jobs.cleanup!.result).toBe('success');
    expect(result.jobs.cleanup!.outputs.seen).toBe('failure,skipped');
    // failure() at job level looks at every ancestor, not only the (skipped) direct need.
    expect(result.jobs['on-failure']!.result).toBe('success');

    const failFast = result.jobs['fail-fast']!;
    expect(failFast.result).toBe('failure');
    expect(failFast.legs.map((leg) => [leg.result, leg.cancelledByFailFast])).toEqual([
      ['failure', false],
      ['cancelled', true],
      ['cancelled', true],
    ]);
    expect(failFast.maxObservedConcurrency).toBe(1);
  });
});

describe('runWorkflow: env, with and runner plumbing of a local node action', () => {
  const injection = 'core/x.rs:1:1 $(touch pwned) `touch pwned2` ${{ github.token }} "\'; rm -rf / #';

  async function plumb() {
    const { repoRoot, workDir } = await fixtureRepo();
    const result = await runWorkflow({
      workflowFile: 'workflows/plumbing.yml',
      repoRoot,
      workDir,
      event: 'workflow_dispatch',
      inputs: { panic_location: injection, dry_run: true },
      secrets: { API_TOKEN: 'canary-secret-1234' },
      github: { repository: 'acme/turso', runId: '777' },
    });
    return { result, repoRoot, workDir };
  }

  it('passes inputs as INPUT_* (hyphens kept), env by precedence and the runner variables', async () => {
    const { result, repoRoot } = await plumb();
    expect(result.conclusion).toBe('success');
    const leg = result.jobs.plumb!.legs[0]!;
    const report = leg.steps.find((step) => step.id === 'report')!;
    expect(JSON.parse(report.outputs['inputs-json']!)).toEqual({
      INPUT_MESSAGE: 'hello workflow_dispatch',
      'INPUT_PANIC-LOCATION': injection,
      'INPUT_DRY-RUN': 'false',
      'INPUT_SECRET-VALUE': 'canary-secret-1234',
    });
    const runner = JSON.parse(report.outputs['runner-json']!);
    expect(runner).toMatchObject({
      GITHUB_WORKSPACE: repoRoot,
      GITHUB_RUN_ID: '777',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_REPOSITORY: 'acme/turso',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_ACTION_PATH: path.join(repoRoot, 'actions', 'report-env'),
      RUNNER_TEMP: expect.stringContaining(path.join('runner-temp', 'plumb-0')),
      RUNNER_OS: 'Linux',
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_EVENT_NAME: 'workflow_dispatch',
      WORKFLOW_LEVEL: 'workflow',
      JOB_LEVEL: 'job',
      STEP_LEVEL: 'step',
      OVERRIDDEN: 'step',
      files: {
        GITHUB_OUTPUT: true,
        GITHUB_STEP_SUMMARY: true,
        GITHUB_STATE: true,
        GITHUB_ENV: true,
        GITHUB_PATH: true,
      },
    });
    expect(report.outputs.multi).toBe('first line\nsecond = line\n\nfourth<<line');
    expect(result.jobs.plumb!.outputs.multi).toBe('first line\nsecond = line\n\nfourth<<line');
    expect(report.summary).toContain('message: hello workflow_dispatch');
    expect(report.commands.map((command) => command.command)).toEqual([
      'add-mask',
      'group',
      'endgroup',
      'notice',
    ]);
    expect(report.commands[3]).toMatchObject({ properties: { title: 'report' }, message: 'reported \nok' });

    const literal = leg.steps.find((step) => step.id === 'literal')!;
    // Typed boolean input; GITHUB_ENV from the action reached the next step.
    expect(literal.outputs).toEqual({ dry_run: 'true', from_action: 'exported by report-env' });
    // The post step ran after the main steps with the saved state and the inputs.
    const post = leg.steps.at(-1)!;
    expect(post).toMatchObject({ kind: 'post', outcome: 'success', uses: './actions/with-post' });
  });

  it('hands an injection attempt in data to the action and the script literally, and masks secrets', async () => {
    const { result, repoRoot, workDir } = await plumb();
    const leg = result.jobs.plumb!.legs[0]!;
    const runnerTemp = path.join(workDir, 'runner-temp', 'plumb-0');
    expect(await readFile(path.join(runnerTemp, 'location.txt'), 'utf8')).toBe(injection);
    for (const dir of [repoRoot, runnerTemp, process.cwd()]) {
      expect(existsSync(path.join(dir, 'pwned'))).toBe(false);
      expect(existsSync(path.join(dir, 'pwned2'))).toBe(false);
    }
    expect(await readFile(path.join(runnerTemp, 'post-marker.txt'), 'utf8')).toBe(
      'post saw: state from main\n',
    );
    // Secret values never reach logs or job outputs; GitHub drops an output that contains one.
    expect(result.log).not.toContain('canary-secret-1234');
    expect(leg.log).toContain('the token is ***');
    expect(leg.log).toContain('secret is ***');
    expect(result.jobs.plumb!.outputs.leaked).toBeUndefined();
    expect(result.jobs.plumb!.skippedOutputs).toEqual(['leaked']);
  });
});
