import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseFileCommand,
  runWorkflow,
  WorkflowHarnessError,
} from '../../packages/testkit/src/workflow-harness/index.js';
import { repoWithWorkflow } from './helpers.js';

const SHA = '11bd71901bbe5b1630ceea73d27597364c9af683';

async function run(yaml: string, extra: Partial<Parameters<typeof runWorkflow>[0]> = {}) {
  const { repoRoot, workDir, file } = await repoWithWorkflow(yaml);
  return runWorkflow({ workflowFile: file, repoRoot, workDir, event: 'workflow_dispatch', ...extra });
}

function job(body: string): string {
  return `on: workflow_dispatch\njobs:\n  only:\n    runs-on: ubuntu-latest\n${body}`;
}

describe('runWorkflow fails loudly on what it does not emulate', () => {
  const cases: Array<[string, string, RegExp]> = [
    [
      'an unknown remote action',
      job(`    steps:\n      - uses: actions/cache@${SHA}\n`),
      /remote action actions\/cache@/,
    ],
    [
      'a container job',
      job(`    container: node:20\n    steps:\n      - run: true\n`),
      /job key 'container'/,
    ],
    [
      'services',
      job(`    services:\n      db:\n        image: postgres\n    steps:\n      - run: true\n`),
      /job key 'services'/,
    ],
    [
      'a reusable workflow',
      `on: workflow_dispatch\njobs:\n  call:\n    uses: acme/repo/.github/workflows/x.yml@${SHA}\n`,
      /reusable workflows/,
    ],
    [
      'an action pinned by tag',
      job(`    steps:\n      - uses: actions/checkout@v4\n`),
      /not pinned: use a full 40-hex commit SHA/,
    ],
    [
      'hashFiles()',
      job(`    steps:\n      - if: hashFiles('x') != ''\n        run: true\n`),
      /hashFiles\(\)/,
    ],
    [
      'an unknown expression function',
      job(`    steps:\n      - if: frobnicate()\n        run: true\n`),
      /frobnicate/i,
    ],
    [
      'a shell other than bash/sh',
      job(`    steps:\n      - shell: pwsh\n        run: Write-Host hi\n`),
      /shell 'pwsh'/,
    ],
    ['a docker action', job(`    steps:\n      - uses: docker://alpine:3\n`), /container actions/],
  ];
  for (const [what, yaml, message] of cases) {
    it(`rejects ${what}`, async () => {
      const outcome = run(yaml);
      await expect(outcome).rejects.toBeInstanceOf(WorkflowHarnessError);
      await expect(outcome).rejects.toThrow(message);
    });
  }

  it('rejects a composite local action', async () => {
    const { repoRoot, workDir, file } = await repoWithWorkflow(
      job(`    steps:\n      - uses: ./actions/composite\n`),
    );
    await mkdir(path.join(repoRoot, 'actions', 'composite'));
    await writeFile(
      path.join(repoRoot, 'actions', 'composite', 'action.yml'),
      'name: c\ndescription: c\nruns:\n  using: composite\n  steps:\n    - run: echo hi\n      shell: bash\n',
    );
    await expect(
      runWorkflow({ workflowFile: file, repoRoot, workDir, event: 'workflow_dispatch' }),
    ).rejects.toThrow(/composite actions/);
  });

  it('rejects an event the workflow does not declare and undeclared dispatch inputs', async () => {
    await expect(run(job('    steps:\n      - run: true\n'), { event: 'schedule' })).rejects.toThrow(
      /not triggered by 'schedule'/,
    );
    await expect(run(job('    steps:\n      - run: true\n'), { inputs: { nope: 'x' } })).rejects.toThrow(
      /Unexpected inputs provided/,
    );
  });
});

describe('runWorkflow fails the step (as GitHub would) on runtime errors', () => {
  it('fails deprecated ::set-output, missing required action inputs and a step past its timeout', async () => {
    const result = await run(
      job(
        [
          '    steps:',
          '      - id: deprecated',
          '        continue-on-error: true',
          '        run: echo "::set-output name=x::y"',
          '      - id: missing',
          '        continue-on-error: true',
          '        uses: ./actions/report-env',
          '      - id: unexpected',
          '        continue-on-error: true',
          '        uses: ./actions/report-env',
          '        with:',
          '          message: hi',
          '          bogus: 1',
          '      - id: slow',
          '        timeout-minutes: 1',
          '        run: sleep 30',
          '',
        ].join('\n'),
      ),
      { minuteMs: 300 },
    );
    const steps = Object.fromEntries(result.jobs.only!.legs[0]!.steps.map((step) => [step.id, step]));
    expect(steps.deprecated).toMatchObject({ outcome: 'failure', conclusion: 'success' });
    expect(steps.deprecated!.error).toMatch(/deprecated workflow command '::set-output::'/);
    expect(steps.missing!.error).toBe('Input required and not supplied: message');
    expect(steps.unexpected!.error).toMatch(/Unexpected input\(s\) 'bogus'/);
    expect(steps.slow).toMatchObject({ outcome: 'failure', timedOut: true });
    expect(result.jobs.only!.result).toBe('failure');
  });

  it('honours if-no-files-found and refuses a second artifact with the same name', async () => {
    const upload = (name: string, p: string, ifNone: string) =>
      [
        `      - id: ${name}`,
        '        continue-on-error: true',
        `        uses: actions/upload-artifact@${SHA}`,
        '        with:',
        '          name: same',
        `          path: ${p}`,
        `          if-no-files-found: ${ifNone}`,
      ].join('\n');
    const result = await run(
      job(
        [
          '    steps:',
          '      - run: mkdir -p "$RUNNER_TEMP/d" && echo hi > "$RUNNER_TEMP/d/f.txt"',
          upload('missing_ignore', '${{ runner.temp }}/absent', 'ignore'),
          upload('missing_error', '${{ runner.temp }}/absent', 'error'),
          upload('first', '${{ runner.temp }}/d', 'error'),
          upload('second', '${{ runner.temp }}/d', 'error'),
          '',
        ].join('\n'),
      ),
    );
    const steps = Object.fromEntries(result.jobs.only!.legs[0]!.steps.map((step) => [step.id, step]));
    expect(steps.missing_ignore!.outcome).toBe('success');
    expect(steps.missing_error!.outcome).toBe('failure');
    expect(steps.missing_error!.error).toMatch(/No files were found/);
    expect(steps.first!.outcome).toBe('success');
    expect(steps.second!.error).toMatch(/409\) Conflict/);
  });
});

describe('parseFileCommand', () => {
  it('reads name=value and heredoc blocks and rejects an unterminated block', () => {
    expect(parseFileCommand('a=1\nb<<EOF\nx\n=y\nEOF\nc=\n', 'GITHUB_OUTPUT')).toEqual([
      ['a', '1'],
      ['b', 'x\n=y'],
      ['c', ''],
    ]);
    expect(() => parseFileCommand('b<<EOF\nx\n', 'GITHUB_OUTPUT')).toThrow(
      /matching delimiter 'EOF' not found/,
    );
    expect(() => parseFileCommand('no separator\n', 'GITHUB_OUTPUT')).toThrow(/invalid line/);
  });
});
