import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { PanicNames } from '../naming.js';
import {
  checkRegressionOutcome,
  detectRegressionFormat,
  oracleExpected,
  registerTclTest,
  regressionTestFile,
  tclExpectedForm,
} from '../regression-test/index.js';
import type { Sandbox } from '../sandbox/types.js';
import { describeExit, fillArgv } from '../util/run-command.js';
import { git } from '../util/git.js';
import { sandboxExec, writeFilesIntoSandbox, type SandboxFile } from './sandbox-io.js';

export interface RegressionTest {
  format: 'tcl' | 'sqltest';
  /** Repo-relative path. */
  path: string;
  /** Where the expected output came from. */
  expectedFrom: 'sqlite3' | 'fixer';
}

/**
 * Writes the panic's regression test into the sandbox (and registers a TCL test in the suite file),
 * in the format the target uses. SQL reaches the file verbatim; the renderer guarantees it cannot
 * break out of its word.
 */
export async function writeRegressionTest(args: {
  config: Config;
  sandbox: Sandbox;
  names: PanicNames;
  sql: string;
  location: string;
  log: (message: string) => void;
}): Promise<RegressionTest> {
  const { config, sandbox, names, sql } = args;
  const files = (await git(config.baseRepoPath, ['ls-files', '-z'])).split('\0').filter(Boolean);
  const detected = detectRegressionFormat({
    configured: config.target.regressionTestFormat,
    files,
    target: config.target,
  });
  args.log(`regression test format: ${detected.format} (${detected.reason})`);
  const oracle = await oracleExpected(sql, { timeoutMs: 60_000 });
  if (oracle.available) args.log('expected output taken from sqlite3 (the oracle)');
  else args.log(`no expected output from sqlite3 (${oracle.reason}); the fixer sets it`);
  const expected = oracle.available ? oracle.output : '';
  const tester = await readFile(
    path.join(config.baseRepoPath, config.target.tclTestDir, 'tester.tcl'),
    'utf8',
  ).catch(() => undefined);
  const file = regressionTestFile({
    format: detected.format,
    target: config.target,
    names,
    sql,
    expected,
    panicLocation: args.location,
    ...(tester === undefined ? {} : { expectedForm: tclExpectedForm(tester) }),
  });
  if (file.fallbackReason) args.log(`regression test written as TCL: ${file.fallbackReason}`);
  const writes: SandboxFile[] = [{ path: file.relativePath, content: file.content, mode: file.mode }];
  if (file.format === 'tcl') {
    const suite = config.target.tclSuiteFile;
    const current = await readFile(path.join(config.baseRepoPath, suite), 'utf8').catch(() => undefined);
    if (current !== undefined) {
      writes.push({ path: suite, content: registerTclTest(current, file.fileName) });
    } else {
      args.log(`no suite file ${suite}: the regression test is not registered in a suite`);
    }
  }
  await writeFilesIntoSandbox(sandbox, writes);
  return {
    format: file.format,
    path: file.relativePath,
    expectedFrom: oracle.available ? 'sqlite3' : 'fixer',
  };
}

export type RegressionRun =
  { kind: 'passed' } | { kind: 'failedWithTargetPanic' } | { kind: 'failedOtherwise'; detail: string };

/** Builds what the single test needs, then runs exactly the regression test inside the sandbox. */
export async function runRegressionTest(args: {
  config: Config;
  sandbox: Sandbox;
  test: RegressionTest;
  location: string;
  outputDir: string;
  prepare: boolean;
  signal?: AbortSignal;
}): Promise<RegressionRun> {
  const { config, sandbox } = args;
  const exec = sandboxExec(sandbox, args.signal);
  if (args.prepare) {
    const prep = await exec(config.target.prepareCommand, {
      timeoutMs: config.target.buildTimeoutMs,
      outputFile: path.join(args.outputDir, 'prepare.log'),
    });
    if (prep.exitCode !== 0) {
      return {
        kind: 'failedOtherwise',
        detail: `prepare (${config.target.prepareCommand.join(' ')}) failed: ${describeExit(prep)}\n${prep.tail.slice(-2000)}`,
      };
    }
  }
  const argv = fillArgv(config.target.singleTestCommand, {
    test: path.basename(args.test.path),
    testPath: args.test.path,
  });
  const result = await exec(argv, {
    timeoutMs: config.target.singleTestTimeoutMs,
    outputFile: path.join(args.outputDir, 'regression-test.log'),
  });
  const outcome = checkRegressionOutcome(result, args.location, sandbox.repoDir);
  if (outcome.kind === 'failedOtherwise') return { kind: 'failedOtherwise', detail: outcome.detail };
  return { kind: outcome.kind };
}
