import { formatLocation } from '../panic-output/location.js';
import { matchTarget } from '../panic-output/match.js';
import { parsePanicOutput } from '../panic-output/parse.js';

/** What a single regression test run produced (a subset of `RunCommandResult`). */
export interface TestRunResult {
  exitCode: number | null;
  signal: string | null;
  timedOut?: boolean;
  spawnError?: string;
  stdoutTail: string;
  stderrTail: string;
}

export type RegressionOutcome =
  | { kind: 'passed' }
  | { kind: 'failedWithTargetPanic'; location: string; message?: string; columnDiffers: boolean }
  | { kind: 'failedOtherwise'; detail: string };

const TEST_FAILED = /Test FAILED/;

function tail(text: string, max = 600): string {
  const t = text.trim();
  return t.length > max ? `…${t.slice(t.length - max)}` : t;
}

/**
 * Classifies one run of the regression test. The test must fail *with the target panic* on the base commit
 * and pass on the fix, so a failure anywhere else (another panic, a wrong result, a build error, a timeout)
 * is reported as such rather than counted as a reproduction. A run that exits 0 but printed a panic is not a
 * pass either: the harness would have had to swallow it.
 */
export function checkRegressionOutcome(
  result: TestRunResult,
  targetLocation: string,
  repoDir?: string,
): RegressionOutcome {
  if (result.spawnError)
    return { kind: 'failedOtherwise', detail: `test could not be started: ${result.spawnError}` };
  const parsed = parsePanicOutput({
    stdout: result.stdoutTail,
    stderr: result.stderrTail,
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut ?? false,
    ...(repoDir === undefined ? {} : { repoDir }),
  });
  if (parsed.panicked && parsed.location) {
    const found = formatLocation(parsed.location);
    const match = matchTarget(parsed, targetLocation, repoDir);
    if (match.matches && result.exitCode !== 0) {
      return {
        kind: 'failedWithTargetPanic',
        location: found,
        ...(parsed.message === undefined ? {} : { message: parsed.message }),
        columnDiffers: match.columnDiffers,
      };
    }
    const why = match.matches
      ? 'the target panic was printed but the test exited 0'
      : `panicked at ${found}, not at ${targetLocation}`;
    return { kind: 'failedOtherwise', detail: `${why}: ${parsed.message ?? ''}`.trim() };
  }
  if (result.timedOut) return { kind: 'failedOtherwise', detail: 'the test timed out' };
  if (result.exitCode === 0 && result.signal === null) {
    const combined = `${result.stdoutTail}\n${result.stderrTail}`;
    if (!TEST_FAILED.test(combined)) return { kind: 'passed' };
    return {
      kind: 'failedOtherwise',
      detail: `exit 0 but the harness reported a failure: ${tail(combined)}`,
    };
  }
  const how = result.signal ? `killed by ${result.signal}` : `exit ${result.exitCode}`;
  return {
    kind: 'failedOtherwise',
    detail: `${how} without the target panic: ${tail(`${result.stdoutTail}\n${result.stderrTail}`)}`,
  };
}
