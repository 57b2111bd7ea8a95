import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sandboxSchema } from '../config/schema.js';
import { createSandbox } from '../sandbox/create.js';
import { makeBaseRepo } from '../sandbox/test-support.js';
import type { Sandbox } from '../sandbox/types.js';
import { digestFiles, writeFilesIntoSandbox } from './sandbox-io.js';

const tmp = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'panic-fix-sandbox-io-')));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const base = makeBaseRepo(path.join(tmp, 'base'));

/** The overlay sandbox (the repo exists only inside it), counting the commands run in it. */
async function countingSandbox(id: string): Promise<{ sandbox: Sandbox; runs: string[][] }> {
  const sandbox = await createSandbox(sandboxSchema.parse({ backend: 'overlay' }), {
    baseRepo: base.dir,
    baseSha: base.sha,
    id,
    workDir: path.join(tmp, 'work'),
    log: () => undefined,
  });
  const runs: string[][] = [];
  const run = sandbox.run.bind(sandbox);
  sandbox.run = (argv, opts) => {
    runs.push([...argv]);
    return run(argv, opts);
  };
  return { sandbox, runs };
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

describe('files crossing into and out of the sandbox', () => {
  it('writes several files, with their modes and odd names, in one sandboxed command', async () => {
    const { sandbox, runs } = await countingSandbox('io-write');
    const odd = 'testing/a name with spaces\nand a newline\n';
    await writeFilesIntoSandbox(sandbox, [
      { path: 'deep/new/dir/run.sh', content: '#!/bin/sh\necho hi\n', mode: 0o755 },
      { path: odd, content: 'odd\n' },
    ]);
    expect(runs).toHaveLength(1);
    const check = await sandbox.run([
      'sh',
      '-c',
      'stat -c %a deep/new/dir/run.sh && ./deep/new/dir/run.sh && cat -- "$1"',
      'check',
      odd,
    ]);
    expect(check.stdoutTail).toBe('755\nhi\nodd\n');
    await sandbox.destroy();
  });

  it('refuses a path that leaves the repository through a symlink, naming where it leads', async () => {
    const { sandbox } = await countingSandbox('io-symlink');
    const outside = path.join(tmp, 'outside');
    await sandbox.run(['ln', '-s', outside, 'escape']);
    await expect(
      writeFilesIntoSandbox(sandbox, [
        { path: 'fine.txt', content: 'ok\n' },
        { path: 'escape/x.test', content: 'x' },
      ]),
    ).rejects.toThrow(
      `refusing to write outside the repository: escape/x.test resolves to ${outside}/x.test`,
    );
    expect(existsSync(outside)).toBe(false);
    await sandbox.destroy();
  });

  it('digests every file in one command: raw bytes, `deleted` for missing files and directories', async () => {
    const { sandbox, runs } = await countingSandbox('io-digest');
    await sandbox.run([
      'sh',
      '-c',
      'printf "plain\\n" > "sp ace.txt"; printf "caf\\351\\n" > bin.dat; mkdir somedir',
    ]);
    runs.length = 0;
    const digests = await digestFiles(sandbox, [
      'sp ace.txt',
      'missing.rs',
      'somedir',
      'bin.dat',
      'sp ace.txt',
    ]);
    expect(runs).toHaveLength(1);
    expect(digests).toEqual({
      'bin.dat': sha256(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a])), // not UTF-8: hashed as stored
      'missing.rs': 'deleted',
      somedir: 'deleted',
      'sp ace.txt': sha256('plain\n'),
    });
    await sandbox.destroy();
  });

  it('does not take a failed read for a deletion', async () => {
    const answers = [
      { exitCode: 125, stderrTail: 'panic-fix sandbox: cannot mount the overlay on /x\n' },
      { exitCode: 1, stderrTail: 'agentfs: session is gone\n' },
      { exitCode: 1, stderrTail: 'sha256sum: a.rs: Input/output error\n' },
    ];
    for (const answer of answers) {
      const sandbox = {
        run: async () => ({ stdoutTail: '', tail: answer.stderrTail, ...answer }),
      } as unknown as Sandbox;
      await expect(digestFiles(sandbox, ['a.rs']), answer.stderrTail).rejects.toThrow(/could not read a.rs/);
    }
  });
});
