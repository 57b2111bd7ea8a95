// The pristine example target: builds from clean, `make test` passes, `make test-single` runs exactly
// one file and fails on a panic, and the shell panics the plain Rust way at each planted location.
import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipReason } from '../../packages/core/src/skip-gate/index.js';
import { plantedPanics, type PlantedPanic } from '../../packages/testkit/src/target-repo/index.js';
import {
  addRegressionTest,
  freshTarget,
  mustRun,
  parseShellPanic,
  removeTargets,
  run,
  shellBinary,
  simulatorBinary,
} from './helpers.js';

let repo: string;
let panics: PlantedPanic[];

afterAll(removeTargets);

beforeAll(async () => {
  ({ repo } = await freshTarget());
  panics = await plantedPanics();
  // `make` is the build from clean: the copy has no target/ directory.
  await expect(access(path.join(repo, 'target'))).rejects.toThrow();
  await mustRun(repo, ['make']);
});

describe('pristine example target', () => {
  it('builds the shell and the simulator with make', async () => {
    await access(shellBinary(repo));
    await access(simulatorBinary(repo));
  });

  it('passes make test (cargo tests and the whole TCL suite)', async () => {
    const result = await mustRun(repo, ['make', 'test']);
    expect(result.tail).toContain('test result: ok');
    for (const name of ['select-const', 'select-hex-literals', 'insert-multi-row', 'round-with-digits']) {
      expect(result.tail).toContain(`PASS: ${name}\n`);
    }
  });

  it('runs the TCL suite against real sqlite3 with the same expectations', async () => {
    const result = await run(repo, ['make', 'test-compat', 'SQLITE_EXEC=sqlite3']);
    expect(result.tail).not.toContain('Test FAILED');
    expect(result.exitCode).toBe(0);
  });

  it('make test-single runs exactly one file, named under testing/ or from the root', async () => {
    for (const test of ['select.test', 'testing/select.test']) {
      const result = await mustRun(repo, ['make', 'test-single', `TEST=${test}`]);
      expect(result.tail).toContain('PASS: select-const');
      expect(result.tail).not.toContain('PASS: insert-multi-row');
      expect(result.tail).not.toContain('PASS: text-functions');
    }
    const missing = await run(repo, ['make', 'test-single', 'TEST=no-such.test']);
    expect(missing.exitCode).not.toBe(0);
  });

  it('make test-single fails on a wrong result', async () => {
    await writeFile(
      path.join(repo, 'testing', 'wrong.test'),
      'set testdir [file dirname $argv0]\nsource $testdir/tester.tcl\n' +
        'do_execsql_test_on_specific_db {:memory:} wrong {SELECT 1 + 1;} {3}\n',
    );
    const result = await run(repo, ['make', 'test-single', 'TEST=wrong.test']);
    expect(result.exitCode).not.toBe(0);
    expect(result.tail).toContain('Test FAILED: wrong');
  });

  it('make test-single fails when the shell panics, and so does the suite that sources the file', async () => {
    const panic = panics.find((p) => p.kind === 'unwrap')!;
    await addRegressionTest(
      repo,
      'planted-panic.test',
      'planted-panic',
      panic.sql_statements,
      panic.expected_output!,
    );
    const single = await run(repo, ['make', 'test-single', 'TEST=planted-panic.test']);
    expect(single.exitCode).not.toBe(0);
    expect(single.tail).toContain('Test FAILED: planted-panic');
    expect(single.tail).toContain(`panicked at ${panic.panic_location}:`);
    const suite = await run(repo, ['make', 'test-compat']);
    expect(suite.exitCode).not.toBe(0);
    expect(suite.tail).toContain('Test FAILED: planted-panic');
  });

  it('the shell prints rows in list mode from an argument or stdin', async () => {
    const sql =
      "CREATE TABLE t(a INTEGER, b TEXT); INSERT INTO t VALUES (1, 'x'), (2, NULL); SELECT * FROM t;";
    const fromArg = await mustRun(repo, [shellBinary(repo), ':memory:', sql]);
    expect(fromArg.stdoutTail).toBe('1|x\n2|\n');
    const fromStdin = await run(repo, ['scripts/limbo-sqlite3', ':memory:'], sql);
    expect(fromStdin.exitCode).toBe(0);
    expect(fromStdin.stdoutTail).toBe('1|x\n2|\n');
    const error = await run(repo, [shellBinary(repo), ':memory:', 'SELECT * FROM missing;']);
    expect(error.exitCode).toBe(1);
    expect(error.stderrTail).toContain('no such table: missing');
  });

  it('has three reproducible planted panics, one the simulator cannot reach, and an unimplemented one, each in its own file', () => {
    const real = panics.filter((p) => p.kind !== 'unimplemented');
    const reproducible = real.filter((p) => p.reference !== undefined);
    expect(new Set(reproducible.map((p) => p.kind))).toEqual(new Set(['assert', 'unwrap', 'index']));
    // The one without reference changes is the demo's "agent never reproduces it" panic: a real bug
    // (not skipped as unimplemented) of yet another kind.
    const unreproducible = real.filter((p) => p.reference === undefined);
    expect(unreproducible.map((p) => p.kind)).toEqual(['overflow']);
    expect(skipReason(unreproducible[0]!.panic_message)).toBeUndefined();
    const unimplemented = panics.find((p) => p.kind === 'unimplemented');
    expect(unimplemented?.panic_message).toMatch(/not yet implemented|not supported|unimplemented/);
    expect(skipReason(unimplemented!.panic_message)).toBeDefined();
    const files = panics.map((p) => p.panic_location.split(':')[0]);
    expect(new Set(files).size).toBe(panics.length);
  });

  it('the shell panics at each planted location with exit 101, and sqlite3 prints the expected output', async () => {
    for (const panic of panics) {
      const result = await run(repo, [shellBinary(repo), ':memory:', panic.sql_statements]);
      expect(result.exitCode, panic.id).toBe(101);
      expect(parseShellPanic(result.stderrTail), panic.id).toEqual({
        thread: 'main',
        location: panic.panic_location,
        message: panic.panic_message,
      });
      const sqlite = await run(repo, ['sqlite3', ':memory:'], panic.sql_statements);
      expect(sqlite.exitCode, panic.id).toBe(0);
      expect(sqlite.stdoutTail.replace(/\n$/, ''), panic.id).toBe(panic.expected_output);
    }
  });
});
