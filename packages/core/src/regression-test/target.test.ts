import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import {
  applyEdits,
  materialiseTarget,
  plantedPanics,
  readEdits,
  type PlantedPanic,
} from '@panic-fix/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { panicNames } from '../naming.js';
import { runCommand } from '../util/run-command.js';
import { detectRegressionFormat } from './detect-format.js';
import { regressionTestFile } from './file.js';
import { oracleExpected } from './oracle.js';
import { checkRegressionOutcome } from './outcome.js';
import { registerTclTest, tclExpectedForm } from './tcl.js';

// The whole chain on the example target (a Turso-shaped Rust workspace with its own tester.tcl and
// `make test-single`): the generated test fails with the planted panic on the base commit and passes once
// the reference fix is applied. Each panic gets its own copy, since a fix rebuilds the crate.
const TARGET = { tclTestDir: 'testing', sqltestDir: 'testing/sqltests' };
const ENV = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? '/tmp',
  CARGO_TERM_COLOR: 'never',
};

let panics: PlantedPanic[] = [];
const dirs: string[] = [];
beforeAll(async () => {
  panics = (await plantedPanics()).filter((p) => p.reference !== undefined);
});
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

async function runSingle(repo: string, fileName: string) {
  return runCommand({
    argv: ['make', 'test-single', `TEST=${fileName}`],
    cwd: repo,
    env: ENV,
    timeoutMs: 300_000,
  });
}

describe('regression tests on the example target', () => {
  it('has planted panics to check', () => {
    expect(panics.length).toBeGreaterThanOrEqual(3);
  });

  it.each([0, 1, 2, 3])(
    'planted panic #%i: fails with its panic on base, passes with the fix',
    async (index) => {
      const panic = panics[index];
      if (!panic) return expect(index).toBeGreaterThanOrEqual(panics.length); // fewer fixtures: nothing to run
      const { repo } = await materialiseTarget();
      dirs.push(dirname(repo));
      const files = (
        await runCommand({ argv: ['git', 'ls-files', '-z'], cwd: repo, env: ENV, tailBytes: 1 << 20 })
      ).stdoutTail
        .split('\0')
        .filter(Boolean);
      const detected = detectRegressionFormat({ configured: 'auto', files, target: TARGET });
      expect(detected.format).toBe('tcl');

      const oracle = await oracleExpected(panic.sql_statements, { timeoutMs: 20_000 });
      if (!oracle.available) throw new Error(oracle.reason);
      if (panic.expected_output !== undefined) expect(oracle.output).toBe(panic.expected_output);

      const file = regressionTestFile({
        format: detected.format,
        target: TARGET,
        names: { testName: panicNames(panic.panic_location).testName },
        sql: panic.sql_statements,
        expected: oracle.output,
        panicLocation: panic.panic_location,
        expectedForm: tclExpectedForm(await readFile(join(repo, 'testing', 'tester.tcl'), 'utf8')),
      });
      await writeFile(join(repo, file.relativePath), file.content, { mode: file.mode });
      const suite = join(repo, 'testing', 'all.test');
      await writeFile(suite, registerTclTest(await readFile(suite, 'utf8'), file.fileName));

      const before = await runSingle(repo, file.fileName);
      expect(checkRegressionOutcome(before, panic.panic_location), before.tail).toMatchObject({
        kind: 'failedWithTargetPanic',
        location: panic.panic_location,
      });

      const fixEdits = panic.reference?.fix_edits;
      if (!fixEdits) throw new Error(`${panic.id}: no reference fix`);
      await applyEdits(repo, await readEdits(fixEdits));
      const after = await runSingle(repo, file.fileName);
      expect(checkRegressionOutcome(after, panic.panic_location), after.tail).toEqual({ kind: 'passed' });
    },
  );

  it("carries awkward rows through the target's real tester.tcl (run against sqlite3)", async () => {
    const { repo } = await materialiseTarget();
    dirs.push(dirname(repo));
    const sql = "SELECT 'a b', '{x}'; SELECT ''; SELECT '$y [z] \\ \"q\"', NULL;";
    const oracle = await oracleExpected(sql, { timeoutMs: 20_000 });
    if (!oracle.available) throw new Error(oracle.reason);
    expect(oracle.output).toBe('a b|{x}\n\n$y [z] \\ "q"|');
    const file = regressionTestFile({
      format: 'tcl',
      target: TARGET,
      names: { testName: 'panic-awkward-rows' },
      sql,
      expected: oracle.output,
      expectedForm: tclExpectedForm(await readFile(join(repo, 'testing', 'tester.tcl'), 'utf8')),
    });
    await writeFile(join(repo, file.relativePath), file.content, { mode: file.mode });
    const run = await runCommand({
      argv: ['tclsh', file.relativePath],
      cwd: repo,
      env: { ...ENV, SQLITE_EXEC: 'sqlite3' },
    });
    expect(run.exitCode, run.tail).toBe(0);
    expect(checkRegressionOutcome(run, 'core/a.rs:1:1')).toEqual({ kind: 'passed' });
  });
});
