import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  checkWorkflowHardening,
  type HardeningFinding,
} from '../packages/testkit/src/workflow-harness/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WORKFLOWS = path.join(ROOT, '.github', 'workflows');
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'workflow-harness', 'hardening');

const brief = (findings: HardeningFinding[]) =>
  findings.map((f) => `${f.rule} ${f.job}${f.step === undefined ? '' : `#${f.step}`}`);

describe('workflow hardening', () => {
  it("the project's workflows: no data in run:, explicit permissions, actions pinned by SHA", async () => {
    const files = (await readdir(WORKFLOWS)).filter((f) => /\.ya?ml$/.test(f));
    expect(files).toEqual(expect.arrayContaining(['ci.yml', 'panic-fix.yml']));
    const findings = (
      await Promise.all(files.map((f) => checkWorkflowHardening(path.join(WORKFLOWS, f))))
    ).flat();
    expect(findings.map((f) => `${path.basename(f.file)}: ${f.job}: ${f.message}`)).toEqual([]);
  });

  it('flags every interpolation of inputs, event, matrix, needs/steps outputs and secrets in run:', async () => {
    const findings = await checkWorkflowHardening(path.join(FIXTURES, 'run-interpolation.yml'));
    expect(brief(findings)).toEqual([
      'run-interpolation prepare#2',
      'run-interpolation prepare#3',
      'run-interpolation prepare#4',
      'run-interpolation use#1',
      'run-interpolation use#2',
      'run-interpolation use#3',
      'run-interpolation use#4',
    ]);
    expect(findings.map((f) => f.message.split(' (')[0])).toEqual([
      'run: interpolates inputs',
      'run: interpolates github.event',
      'run: interpolates steps.*.outputs',
      'run: interpolates matrix',
      'run: interpolates needs.*.outputs',
      'run: interpolates github.event',
      'run: interpolates secrets',
    ]);
  });

  it('flags a job without explicit permissions and a write-all job', async () => {
    const findings = await checkWorkflowHardening(path.join(FIXTURES, 'missing-permissions.yml'));
    expect(brief(findings)).toEqual(['job-permissions undeclared', 'job-permissions too-broad']);
  });

  it('flags actions and reusable workflows not pinned by a full SHA (tags, branches, short SHAs, image tags)', async () => {
    const findings = await checkWorkflowHardening(path.join(FIXTURES, 'unpinned.yml'));
    expect(brief(findings)).toEqual([
      'unpinned-action steps#1',
      'unpinned-action steps#2',
      'unpinned-action steps#3',
      'unpinned-action steps#4',
      'unpinned-action reusable',
    ]);
  });
});
