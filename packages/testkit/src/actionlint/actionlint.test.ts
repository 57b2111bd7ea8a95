import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatLintErrors, lintWorkflows } from './index.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const WORKFLOWS = path.join(REPO_ROOT, '.github', 'workflows');
const CONFIG = path.join(REPO_ROOT, '.github', 'actionlint.yaml');

async function temp(name: string, content: string): Promise<string> {
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'actionlint-')), name);
  await writeFile(file, content);
  return file;
}

describe('lintWorkflows', () => {
  it("reports nothing on the project's workflows", async () => {
    const files = (await readdir(WORKFLOWS))
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => path.join(WORKFLOWS, f));
    expect(files.map((f) => path.basename(f))).toEqual(expect.arrayContaining(['ci.yml', 'panic-fix.yml']));
    const errors = await lintWorkflows(files, { configFile: CONFIG });
    expect(formatLintErrors(errors)).toBe('');
  });

  it('reports a broken workflow: unknown label, untrusted input in run:, bad expression, missing runs-on', async () => {
    const file = await temp(
      'broken.yml',
      [
        'on: issues',
        'jobs:',
        '  a:',
        '    runs-on: [self-hosted, not-declared]',
        '    steps:',
        '      - run: echo "${{ github.event.issue.title }}"',
        "      - if: ${{ steps.nope.outputs.x == 'y' }} && true",
        '        run: echo ${{ undefined_context.value }}',
        '  b:',
        '    steps:',
        '      - run: true',
        '',
      ].join('\n'),
    );
    const errors = await lintWorkflows([file], { configFile: CONFIG });
    const text = formatLintErrors(errors);
    expect(text).toContain('label "not-declared" is unknown');
    expect(text).toContain('"github.event.issue.title" is potentially untrusted');
    expect(text).toContain('undefined variable "undefined_context"');
    expect(text).toMatch(/"runs-on" section is missing in job "b"/);
    expect(errors.every((e) => e.file === file)).toBe(true);
  });

  it('accepts the configured self-hosted label only with the config, and keeps other undefined variables', async () => {
    const file = await temp(
      'labels.yml',
      'on: push\njobs:\n  a:\n    runs-on: [self-hosted, agentfs]\n    steps:\n      - run: echo "$X"\n        env:\n          X: ${{ vars.SOME_VAR }}\n',
    );
    expect(await lintWorkflows([file], { configFile: CONFIG })).toEqual([]);
    const without = await lintWorkflows([file]);
    expect(formatLintErrors(without)).toContain('label "agentfs" is unknown');
    expect(formatLintErrors(without)).not.toContain('"vars"');
  });
});
