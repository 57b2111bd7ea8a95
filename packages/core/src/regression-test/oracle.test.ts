import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { runCommand } from '../util/run-command.js';
import { regressionTestFile } from './file.js';
import { normaliseHarnessOutput, oracleExpected } from './oracle.js';
import { checkRegressionOutcome } from './outcome.js';

describe('oracleExpected with the real sqlite3', () => {
  it('returns list-mode output without the trailing newline', async () => {
    const r = await oracleExpected(
      "CREATE TABLE t(a, b);\nINSERT INTO t VALUES (1, 'x y'), (2, NULL);\nSELECT * FROM t;",
      {
        timeoutMs: 20_000,
      },
    );
    expect(r).toEqual({ available: true, output: '1|x y\n2|' });
  });

  it('returns empty output for SQL without rows', async () => {
    expect(await oracleExpected('CREATE TABLE t(a);', { timeoutMs: 20_000 })).toEqual({
      available: true,
      output: '',
    });
  });

  it('normalises CR the way Tcl exec reads it', async () => {
    const r = await oracleExpected("SELECT 'a' || char(13) || char(10) || 'b' || char(13) || 'c';", {
      timeoutMs: 20_000,
    });
    expect(r).toEqual({ available: true, output: 'a\nb\nc' });
  });

  it('reports the sqlite3 error when the SQL fails, and stops there (-bail)', async () => {
    const r = await oracleExpected('SELECT 1;\nSELECT * FROM nope;\nSELECT 2;', { timeoutMs: 20_000 });
    expect(r.available).toBe(false);
    if (!r.available) expect(r.reason).toMatch(/no such table: nope/);
  });

  it('reports a missing sqlite3', async () => {
    const r = await oracleExpected('SELECT 1;', { sqlite3Path: '/nonexistent/sqlite3', timeoutMs: 5_000 });
    expect(r.available).toBe(false);
    if (!r.available) expect(r.reason).toMatch(/could not be started/);
  });

  it('passes SQL with shell and Tcl metacharacters as data', async () => {
    const ok = await oracleExpected("SELECT '$(touch x) `id` [exec ls] {';", { timeoutMs: 20_000 });
    expect(ok).toEqual({ available: true, output: '$(touch x) `id` [exec ls] {' });
  });

  it('normaliseHarnessOutput drops exactly one trailing newline', () => {
    expect(normaliseHarnessOutput('a\n\n')).toBe('a\n');
    expect(normaliseHarnessOutput('a\r\nb\r\n')).toBe('a\nb');
  });
});

// End to end: a generated TCL test run by a harness that behaves like Turso's tester.tcl (argv SQL, exact
// comparison of `join $expected "\n"`, `exit 1` on mismatch, uncaught exec error on a crash), against the
// real sqlite3 (must pass) and against a binary that panics like tursodb (must fail with that panic).
const HARNESS = String.raw`
set sqlite_exec [expr {[info exists env(SQLITE_EXEC)] ? $env(SQLITE_EXEC) : "sqlite3"}]
proc do_execsql_test_on_specific_db {db_name test_name sql_statements expected_outputs} {
  puts "Running test: $test_name"
  set actual [exec $::sqlite_exec $db_name [string trim $sql_statements]]
  set expected [join $expected_outputs "\n"]
  if {$actual ne $expected} {
    puts "Test FAILED: returned '$actual' expected '$expected'"
    exit 1
  }
}
`;

const PANICKER = `#!/usr/bin/env node
process.stderr.write("thread 'main' panicked at core/vdbe/execute.rs:412:9:\\nCursor not found\\nnote: run with \`RUST_BACKTRACE=1\` environment variable to display a backtrace\\n");
process.exit(101);
`;

describe('generated TCL test under a tester.tcl-like harness', () => {
  let repo: string;
  beforeAll(() => {
    repo = mkdtempSync(join(tmpdir(), 'tcl-e2e-'));
    mkdirSync(join(repo, 'testing'));
    writeFileSync(join(repo, 'testing', 'tester.tcl'), HARNESS);
    writeFileSync(join(repo, 'panicker'), PANICKER);
    chmodSync(join(repo, 'panicker'), 0o755);
  });
  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  const sql = 'CREATE TABLE t(a);\nINSERT INTO t VALUES (\'{x} [y] $z \\ "q" a b\');\nSELECT a, 1 FROM t;';

  async function runTest(sqliteExec: string) {
    const oracle = await oracleExpected(sql, { timeoutMs: 20_000 });
    if (!oracle.available) throw new Error(oracle.reason);
    const file = regressionTestFile({
      format: 'tcl',
      target: { tclTestDir: 'testing', sqltestDir: 'testing/sqltests' },
      names: { testName: 'panic-core-vdbe-execute-412-9-abc' },
      sql,
      expected: oracle.output,
    });
    writeFileSync(join(repo, file.relativePath), file.content, { mode: file.mode });
    return runCommand({
      argv: [`./${file.relativePath}`],
      cwd: repo,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', SQLITE_EXEC: sqliteExec },
      timeoutMs: 30_000,
    });
  }

  it('passes against sqlite3 with the oracle output', async () => {
    const result = await runTest('sqlite3');
    expect(result.exitCode, result.tail).toBe(0);
    expect(checkRegressionOutcome(result, 'core/vdbe/execute.rs:412:9')).toEqual({ kind: 'passed' });
  });

  it('fails with the target panic against a panicking binary', async () => {
    const result = await runTest(join(repo, 'panicker'));
    expect(result.exitCode).not.toBe(0);
    expect(checkRegressionOutcome(result, 'core/vdbe/execute.rs:412:9')).toMatchObject({
      kind: 'failedWithTargetPanic',
      location: 'core/vdbe/execute.rs:412:9',
      message: 'Cursor not found',
    });
    expect(checkRegressionOutcome(result, 'core/translate/expr.rs:10:1')).toMatchObject({
      kind: 'failedOtherwise',
      detail: expect.stringContaining('not at core/translate/expr.rs:10:1'),
    });
  });

  it('a wrong result is a failure without the panic', async () => {
    const result = await runTest(join(repo, 'no-such-binary'));
    expect(checkRegressionOutcome(result, 'core/vdbe/execute.rs:412:9')).toMatchObject({
      kind: 'failedOtherwise',
    });
  });
});
