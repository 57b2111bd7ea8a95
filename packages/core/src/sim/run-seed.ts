import { createReadStream } from 'node:fs';
import type { ClockClient } from '../clock/client.js';
import type { TargetConfig } from '../config/schema.js';
import type { Seed } from '../context-file.js';
import { formatLocation } from '../panic-output/location.js';
import { matchTarget, type TargetMatch } from '../panic-output/match.js';
import { createPanicOutputParser, parsePanicOutput } from '../panic-output/parse.js';
import type { FailureKind, ParsedPanicOutput, SourceLocation } from '../panic-output/types.js';
import { fillArgv, type RunCommandResult } from '../util/run-command.js';
import { withClock } from './clock.js';
import { commandOutcome } from './outcome.js';
import { seedText } from './seeds.js';
import type { ClockState, CommandOutcome, SimExec } from './types.js';

export interface RunSimulatorSeedOptions {
  exec: SimExec;
  target: TargetConfig;
  seed: Seed;
  /** Where the full output goes (the caller's output directory, outside the exported patch). */
  outputFile: string;
  /** Default: target.simulatorTimeoutMs. */
  timeoutMs?: number;
  /** The panic being reproduced (`file:line[:col]`); adds `match` to the result. */
  targetLocation?: string | SourceLocation;
  /** Absolute repo path as the program sees it: absolute backtrace paths under it become repo-relative. */
  repoDir?: string;
  clock?: ClockClient;
  tailChars?: number;
}

export interface SimulatorSeedResult extends CommandOutcome {
  seed: string;
  /** A panic was printed (also with exit 0: Turso's `loop` without `-s`). */
  panicFound: boolean;
  kind: FailureKind;
  /** `file:line:col`, repo-relative when the path was inside the repo. */
  location?: string;
  message?: string;
  /** Present when a target location was given. */
  match?: TargetMatch;
  /** Exit 0 and nothing failing printed. */
  passed: boolean;
  failure: ParsedPanicOutput;
  clock: ClockState;
  clockError?: string;
}

/** Re-reads the full output when the in-memory tails were too short to hold the failure. */
async function parseFullOutput(
  file: string,
  result: RunCommandResult,
  repoDir?: string,
): Promise<ParsedPanicOutput> {
  const parser = createPanicOutputParser(repoDir);
  await new Promise<void>((resolve, reject) => {
    createReadStream(file)
      .on('data', (chunk) => parser.write('stdout', chunk))
      .on('end', resolve)
      .on('error', reject);
  });
  return parser.finish(result);
}

/** Runs the target's simulator once for a seed, parses what it printed and compares with the target panic. */
export async function runSimulatorSeed(options: RunSimulatorSeedOptions): Promise<SimulatorSeedResult> {
  const seed = seedText(options.seed);
  const argv = fillArgv(options.target.simulatorCommand, { seed });
  const timeoutMs = options.timeoutMs ?? options.target.simulatorTimeoutMs;
  const clocked = await withClock(options.clock, { kind: 'simulator', label: `seed ${seed}` }, () =>
    options.exec(argv, { timeoutMs, outputFile: options.outputFile }),
  );
  const result = clocked.result;
  let failure = parsePanicOutput({
    stdout: result.stdoutTail,
    stderr: result.stderrTail,
    exitCode: result.exitCode,
    signal: result.signal,
    timedOut: result.timedOut,
    ...(options.repoDir ? { repoDir: options.repoDir } : {}),
  });
  const truncated = result.totalBytes > result.stdoutTail.length + result.stderrTail.length;
  if (truncated && !failure.panicked && failure.kind !== 'compile_error' && !result.spawnError) {
    // The panic may have scrolled out of the tails; the file holds everything (interleaved).
    const full = await parseFullOutput(options.outputFile, result, options.repoDir).catch(() => undefined);
    if (full?.panicked) failure = full;
  }
  const outcome = commandOutcome(argv, result, options.outputFile, options.tailChars);
  const passed = !result.spawnError && result.exitCode === 0 && failure.kind === 'none';
  return {
    ...outcome,
    seed,
    panicFound: failure.panicked,
    kind: result.spawnError ? 'crash' : failure.kind,
    ...(failure.location ? { location: formatLocation(failure.location) } : {}),
    ...(failure.message === undefined ? {} : { message: failure.message }),
    ...(options.targetLocation === undefined
      ? {}
      : { match: matchTarget(failure, options.targetLocation, options.repoDir) }),
    passed,
    failure,
    clock: clocked.clock,
    ...(clocked.clockError ? { clockError: clocked.clockError } : {}),
  };
}
