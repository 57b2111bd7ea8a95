import { describeExit, type RunCommandResult } from '../util/run-command.js';
import type { CommandOutcome } from './types.js';

export const DEFAULT_TAIL_CHARS = 4_000;

/** The last `max` characters, starting at a line boundary when one is near, marked when cut. */
export function boundTail(text: string, max = DEFAULT_TAIL_CHARS): string {
  if (text.length <= max) return text;
  let cut = text.slice(text.length - max);
  const newline = cut.indexOf('\n');
  if (newline !== -1 && newline < max / 4) cut = cut.slice(newline + 1);
  return `[… ${text.length - cut.length} earlier characters in the output file]\n${cut}`;
}

export function commandOutcome(
  argv: string[],
  result: RunCommandResult,
  outputFile: string,
  tailChars = DEFAULT_TAIL_CHARS,
): CommandOutcome {
  return {
    argv,
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    ...(result.spawnError ? { spawnError: result.spawnError } : {}),
    durationMs: result.durationMs,
    exit: describeExit(result),
    outputFile,
    tail: boundTail(result.tail, tailChars),
    totalBytes: result.totalBytes,
  };
}
