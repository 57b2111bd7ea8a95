import type { RunCommandResult } from '../util/run-command.js';

/**
 * Runs argv in the target repository (cwd fixed by whoever made it): the MCP server passes
 * `runCommand` with cwd = repoDir, the pipeline passes `sandbox.run`. Never a shell.
 */
export type SimExec = (
  argv: string[],
  opts: { timeoutMs: number; outputFile: string; env?: Record<string, string> },
) => Promise<RunCommandResult>;

/** Whether the budget clock heard about a run: `not_configured` when no clock was given. */
export type ClockState = 'reached' | 'unreachable' | 'not_configured';

/** How a command ended, small enough to return inline. */
export interface CommandOutcome {
  argv: string[];
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  spawnError?: string;
  durationMs: number;
  /** One line: `exit code 1`, `timed out after …`, `program not found: …`. */
  exit: string;
  /** Full combined output. */
  outputFile: string;
  /** The last lines of the output, bounded. */
  tail: string;
  totalBytes: number;
}
