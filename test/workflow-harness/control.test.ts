import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWorkflow, type StepEvent } from '../../packages/testkit/src/workflow-harness/index.js';
import { repoWithWorkflow } from './helpers.js';

const CHECKOUT = 'actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683';

describe('runWorkflow: cancellation, timeouts, step events, copied workspaces', () => {
  it('fail-fast kills a running leg; its always() steps still run', async () => {
    const { repoRoot, workDir, file } = await repoWithWorkflow(
      [
        'on: workflow_dispatch',
        'jobs:',
        '  legs:',
        '    runs-on: ubuntu-latest',
        '    strategy:',
        '      matrix:',
        '        leg: [fails, sleeps]',
        '    steps:',
        '      - id: work',
        '        shell: bash',
        '        env:',
        '          LEG: ${{ matrix.leg }}',
        '        run: |',
        '          if [ "$LEG" = fails ]; then sleep 0.5; exit 1; fi',
        '          sleep 60',
        '      - id: cleanup',
        '        if: always()',
        '        shell: bash',
        '        env:',
        '          STATUS: ${{ job.status }}',
        '        run: echo "status=$STATUS" >> "$GITHUB_OUTPUT"',
        '',
      ].join('\n'),
    );
    const result = await runWorkflow({ workflowFile: file, repoRoot, workDir, event: 'workflow_dispatch' });
    const [fails, sleeps] = result.jobs.legs!.legs;
    expect(result.jobs.legs!.maxObservedConcurrency).toBe(2);
    expect(fails).toMatchObject({ result: 'failure', cancelledByFailFast: false });
    expect(sleeps).toMatchObject({ result: 'cancelled', cancelledByFailFast: true });
    expect(sleeps!.steps[0]).toMatchObject({
      id: 'work',
      outcome: 'cancelled',
      error: 'the step was cancelled',
    });
    expect(sleeps!.steps[1]!.outputs).toEqual({ status: 'cancelled' });
    expect(fails!.steps[1]!.outputs).toEqual({ status: 'failure' });
  });

  it('a job past timeout-minutes is stopped and fails', async () => {
    const { repoRoot, workDir, file } = await repoWithWorkflow(
      'on: workflow_dispatch\njobs:\n  slow:\n    runs-on: ubuntu-latest\n    timeout-minutes: 1\n    steps:\n      - run: sleep 60\n      - run: echo never\n',
    );
    const result = await runWorkflow({
      workflowFile: file,
      repoRoot,
      workDir,
      event: 'workflow_dispatch',
      minuteMs: 300,
    });
    const leg = result.jobs.slow!.legs[0]!;
    expect(leg).toMatchObject({ result: 'failure', timedOut: true });
    expect(leg.steps.map((step) => step.outcome)).toEqual(['cancelled', 'skipped']);
  });

  it('reports every step to onStep, in order, and copies the repository per leg in copy mode', async () => {
    const { repoRoot, workDir, file } = await repoWithWorkflow(
      [
        'on: workflow_dispatch',
        'jobs:',
        '  copy:',
        '    runs-on: ubuntu-latest',
        '    steps:',
        `      - uses: ${CHECKOUT}`,
        '      - id: local',
        '        uses: ./actions/emit-matrix',
        '        with:',
        '          count: 1',
        '      - id: write',
        '        run: echo changed > workflows/pipeline.yml && test ! -e secret-dir',
        '',
      ].join('\n'),
    );
    const events: StepEvent[] = [];
    const result = await runWorkflow({
      workflowFile: file,
      repoRoot,
      workDir,
      event: 'workflow_dispatch',
      checkout: { mode: 'copy', exclude: ['secret-dir'] },
      onStep: (event) => {
        events.push(event);
      },
    });
    expect(result.conclusion).toBe('success');
    expect(events.map((e) => `${e.phase}:${e.stepId}`)).toEqual([
      'start:__actions_checkout',
      'end:__actions_checkout',
      'start:local',
      'end:local',
      'start:write',
      'end:write',
    ]);
    expect(events[3]!.result!.outputs.count).toBe('1');
    const workspace = result.jobs.copy!.legs[0]!.workspace;
    expect(workspace).not.toBe(repoRoot);
    expect(await readFile(path.join(workspace, 'workflows', 'pipeline.yml'), 'utf8')).toBe('changed\n');
    expect(await readFile(path.join(repoRoot, 'workflows', 'pipeline.yml'), 'utf8')).toContain(
      'name: pipeline',
    );
    expect(existsSync(path.join(workspace, 'actions', 'emit-matrix', 'main.js'))).toBe(true);
  });

  it('gives every run a fresh RUNNER_TEMP and fresh artifacts even when the directories are shared', async () => {
    const { repoRoot, workDir, file } = await repoWithWorkflow(
      [
        'on:',
        '  workflow_dispatch:',
        '    inputs:',
        '      extra:',
        '        type: boolean',
        'jobs:',
        '  up:',
        '    runs-on: ubuntu-latest',
        '    steps:',
        '      - shell: bash',
        '        env:',
        '          EXTRA: ${{ inputs.extra }}',
        '        run: |',
        '          mkdir -p "$RUNNER_TEMP/out" && echo main > "$RUNNER_TEMP/out/main.txt"',
        '          if [ "$EXTRA" = true ]; then echo stale > "$RUNNER_TEMP/out/stale.txt"; fi',
        `      - uses: actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02`,
        '        with:',
        '          name: out',
        '          path: ${{ runner.temp }}/out',
        '',
      ].join('\n'),
    );
    const shared = {
      workflowFile: file,
      repoRoot,
      event: 'workflow_dispatch' as const,
      runnerTemp: path.join(workDir, 'temp'),
      artifactsDir: path.join(workDir, 'artifacts'),
    };
    const first = await runWorkflow({
      ...shared,
      workDir: path.join(workDir, 'one'),
      inputs: { extra: true },
    });
    expect(first.artifacts).toEqual(['out']);
    expect(existsSync(path.join(shared.artifactsDir, 'out', 'stale.txt'))).toBe(true);
    const second = await runWorkflow({
      ...shared,
      workDir: path.join(workDir, 'two'),
      inputs: { extra: false },
    });
    expect(second.conclusion).toBe('success');
    expect(existsSync(path.join(shared.artifactsDir, 'out', 'main.txt'))).toBe(true);
    expect(existsSync(path.join(shared.artifactsDir, 'out', 'stale.txt'))).toBe(false);
  });
});
