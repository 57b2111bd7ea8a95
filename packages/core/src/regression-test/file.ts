import { posix } from 'node:path';

import type { RegressionFormat } from './detect-format.js';
import { renderSqlTest } from './sqltest.js';
import { renderTclTest } from './tcl.js';

export interface RegressionFileInput {
  format: RegressionFormat;
  target: { tclTestDir: string; sqltestDir: string };
  names: { testName: string };
  sql: string;
  expected: string;
  panicLocation?: string;
}

export interface RegressionFile {
  /** Repo-relative, POSIX separators. */
  relativePath: string;
  /** Bare file name (what `make test-single TEST=` and the suite's `source` line take). */
  fileName: string;
  content: string;
  mode: number;
}

export type RegressionFileResult = ({ ok: true } & RegressionFile) | { ok: false; error: string };

const SAFE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

function cleanDir(dir: string): string {
  return dir.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
}

/** The regression test file for a panic, in the chosen format, with its path and file mode. */
export function regressionTestFile(input: RegressionFileInput): RegressionFileResult {
  const { testName } = input.names;
  // The name becomes a path component: refuse anything that could leave the test directory.
  if (!SAFE_NAME.test(testName)) return { ok: false, error: `unsafe test name ${JSON.stringify(testName)}` };
  const location = input.panicLocation === undefined ? {} : { panicLocation: input.panicLocation };
  if (input.format === 'tcl') {
    const fileName = `${testName}.test`;
    return {
      ok: true,
      relativePath: posix.join(cleanDir(input.target.tclTestDir), fileName),
      fileName,
      content: renderTclTest({ testName, sql: input.sql, expected: input.expected, ...location }),
      mode: 0o755,
    };
  }
  const rendered = renderSqlTest({ testName, sql: input.sql, expected: input.expected, ...location });
  if (!rendered.ok) return rendered;
  const fileName = `${testName}.sqltest`;
  return {
    ok: true,
    relativePath: posix.join(cleanDir(input.target.sqltestDir), fileName),
    fileName,
    content: rendered.content,
    mode: 0o644,
  };
}
