import { posix } from 'node:path';

import { cleanRepoPath, type RegressionFormat } from './detect-format.js';
import { renderSqlTest } from './sqltest.js';
import { renderTclTest, tclExecHazard, type ExpectedForm } from './tcl.js';

export interface RegressionFileInput {
  format: RegressionFormat;
  target: { tclTestDir: string; sqltestDir: string };
  names: { testName: string };
  sql: string;
  expected: string;
  panicLocation?: string;
  /** TCL only: how the target's tester.tcl reads the expected argument (`tclExpectedForm`). */
  expectedForm?: ExpectedForm;
}

export interface RegressionFile {
  /** The format written: `sqltest` falls back to `tcl` when the DSL cannot carry the SQL verbatim. */
  format: RegressionFormat;
  /** Set when the file is TCL because the requested `.sqltest` could not represent the test. */
  fallbackReason?: string;
  /** Repo-relative, POSIX separators. */
  relativePath: string;
  /** Bare file name (what `make test-single TEST=` and the suite's `source` line take). */
  fileName: string;
  content: string;
  mode: number;
}

/** The test name cannot be used as a file name, or the SQL cannot be carried safely. */
export class RegressionFileError extends Error {
  override name = 'RegressionFileError';
}

const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

/**
 * The regression test file for a panic, in the chosen format, with its path and file mode. A `.sqltest` the
 * DSL cannot represent exactly (see `renderSqlTest`) becomes a TCL test, with `fallbackReason` saying why;
 * the caller then registers it in the TCL suite like any TCL test (use the returned `format`).
 */
export function regressionTestFile(input: RegressionFileInput): RegressionFile {
  const { testName } = input.names;
  // The name becomes a path component: refuse anything that could leave the test directory.
  if (!SAFE_NAME.test(testName))
    throw new RegressionFileError(`unsafe test name ${JSON.stringify(testName)}`);
  const location = input.panicLocation === undefined ? {} : { panicLocation: input.panicLocation };
  const tcl = (fallbackReason?: string): RegressionFile => {
    const hazard = tclExecHazard(input.sql);
    if (hazard) throw new RegressionFileError(hazard);
    const fileName = `${testName}.test`;
    return {
      format: 'tcl',
      ...(fallbackReason === undefined ? {} : { fallbackReason }),
      relativePath: posix.join(cleanRepoPath(input.target.tclTestDir), fileName),
      fileName,
      content: renderTclTest({
        testName,
        sql: input.sql,
        expected: input.expected,
        ...location,
        ...(input.expectedForm === undefined ? {} : { expectedForm: input.expectedForm }),
      }),
      mode: 0o755,
    };
  };
  if (input.format === 'tcl') return tcl();
  const rendered = renderSqlTest({ testName, sql: input.sql, expected: input.expected, ...location });
  if (!rendered.ok) return tcl(`.sqltest cannot represent this test: ${rendered.error}`);
  const fileName = `${testName}.sqltest`;
  return {
    format: 'sqltest',
    relativePath: posix.join(cleanRepoPath(input.target.sqltestDir), fileName),
    fileName,
    content: rendered.content,
    mode: 0o644,
  };
}
