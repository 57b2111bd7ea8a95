import { posix } from 'node:path';

export type RegressionFormat = 'tcl' | 'sqltest';

export interface FormatTarget {
  tclTestDir: string;
  sqltestDir: string;
}

export interface DetectFormatInput {
  configured: 'auto' | 'tcl' | 'sqltest';
  /** Repo-relative paths of the base tree (`git ls-files`). */
  files: readonly string[];
  target: FormatTarget;
}

export interface DetectedFormat {
  format: RegressionFormat;
  /** Why this format, for the log. */
  reason: string;
}

/** The tree cannot run the configured (or any) regression test format. */
export class RegressionFormatError extends Error {
  override name = 'RegressionFormatError';
}

function fail(message: string): never {
  throw new RegressionFormatError(message);
}

/** A repo-relative path in the form `git ls-files` prints: `/`-separated, no leading `./`, no trailing `/`. */
export function cleanRepoPath(path: string): string {
  return path.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '');
}

/** A `.sqltest` runner: Turso's runner crate (`testing/sqltest`, earlier `testing/runner`, `turso-test-runner`). */
const RUNNER_FILES = [/(^|\/)(sqltest|runner|turso-test-runner)\/Cargo\.toml$/];

/**
 * Which regression test format the target expects. `auto` prefers `.sqltest` when the tree has corpora
 * (under `sqltestDir` or elsewhere) and a runner to execute them; otherwise TCL when `tester.tcl` is in
 * `tclTestDir`. An explicit format is honoured only if the tree can run it; otherwise `RegressionFormatError`.
 */
export function detectRegressionFormat(input: DetectFormatInput): DetectedFormat {
  const files = input.files.map(cleanRepoPath);
  const sqltestDir = cleanRepoPath(input.target.sqltestDir);
  const tester = posix.join(cleanRepoPath(input.target.tclTestDir), 'tester.tcl');

  const corpora = files.filter((f) => f.endsWith('.sqltest'));
  const inDir = corpora.filter((f) => f.startsWith(`${sqltestDir}/`));
  const runner = files.find((f) => RUNNER_FILES.some((re) => re.test(f)));
  const hasTester = files.includes(tester);

  const sqltestWhy = (): string | undefined => {
    if (corpora.length === 0) return undefined;
    if (!runner) return undefined;
    const where =
      inDir.length > 0
        ? `${inDir.length} in ${sqltestDir}/`
        : `${corpora.length} elsewhere, e.g. ${corpora[0]}`;
    return `.sqltest corpora (${where}) and a runner (${runner})`;
  };
  const sqltest = sqltestWhy();

  switch (input.configured) {
    case 'sqltest':
      return sqltest
        ? { format: 'sqltest', reason: `configured sqltest; tree has ${sqltest}` }
        : fail('configured regressionTestFormat sqltest, but the tree has no .sqltest corpora with a runner');
    case 'tcl':
      return hasTester
        ? { format: 'tcl', reason: `configured tcl; tree has ${tester}` }
        : fail(`configured regressionTestFormat tcl, but ${tester} is not in the tree`);
    case 'auto':
      if (sqltest) return { format: 'sqltest', reason: `auto: tree has ${sqltest}` };
      if (hasTester)
        return {
          format: 'tcl',
          reason: `auto: no .sqltest corpora with a runner; tree has ${tester}`,
        };
      return fail(
        `auto: the tree has neither .sqltest corpora with a runner nor ${tester}; set target.regressionTestFormat and the test directories`,
      );
  }
}
