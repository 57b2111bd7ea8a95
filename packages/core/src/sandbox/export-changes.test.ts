import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { sandboxSchema } from '../config/schema.js';
import { createSandbox } from './create.js';
import { git, makeBaseRepo } from './test-support.js';

const tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'panic-fix-export-')));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

async function overlaySandbox(id: string, base = makeBaseRepo(path.join(tmp, `base-${id}`))) {
  return createSandbox(sandboxSchema.parse({ backend: 'overlay' }), {
    baseRepo: base.dir,
    baseSha: base.sha,
    id,
    workDir: path.join(tmp, 'work'),
    log: () => undefined,
  });
}

describe('exporting a sandbox', () => {
  it("runs git without the runner's secrets: a clean filter the agent planted sees no token", async () => {
    const sandbox = await overlaySandbox('export-filter');
    const seen = path.join(sandbox.scratchDir, 'filter-env');
    // What an agent could leave behind: a clean filter on every file, recording its environment.
    const plant = await sandbox.run(
      [
        'sh',
        '-c',
        'git config filter.spy.clean "env >> $1; cat" && echo "* filter=spy" > .gitattributes && echo edit >> src/lib.rs',
        'plant',
        seen,
      ],
      { env: { PATH: process.env.PATH } },
    );
    expect(plant.exitCode, plant.tail).toBe(0);
    process.env.GITHUB_TOKEN = 'ghs_canaryGithubToken';
    process.env.TURSO_AUTH_TOKEN = 'canary-turso-token';
    process.env.ANTHROPIC_API_KEY = 'sk-ant-canary';
    const exported = await sandbox.exportChanges(path.join(tmp, 'out-filter'));
    expect(exported.manifest.files.map((f) => f.path)).toEqual(['.gitattributes', 'src/lib.rs']);
    const env = readFileSync(seen, 'utf8'); // the filter did run: the check below is not vacuous
    expect(env).toContain('PATH=');
    for (const secret of ['ghs_canaryGithubToken', 'canary-turso-token', 'sk-ant-canary'])
      expect(env).not.toContain(secret);
    await sandbox.destroy();
  });

  it("applies the pipeline's git settings over the repository's own (core.autocrlf=true would rewrite CRLF)", async () => {
    const base = makeBaseRepo(path.join(tmp, 'base-crlf'));
    git(base.dir, 'config', 'core.autocrlf', 'true');
    const sandbox = await overlaySandbox('export-crlf', base);
    await sandbox.run(['sh', '-c', 'printf "one\\r\\ntwo\\r\\n" > crlf.txt']);
    const exported = await sandbox.exportChanges(path.join(tmp, 'out-crlf'));
    expect(readFileSync(exported.patchFile, 'utf8')).toContain('+one\r\n+two\r\n');
    await sandbox.destroy();
  });
});
