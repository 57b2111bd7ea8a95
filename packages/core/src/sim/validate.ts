import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ClockClient } from '../clock/client.js';
import type { TargetConfig } from '../config/schema.js';
import type { Seed } from '../context-file.js';
import type { SourceLocation } from '../panic-output/types.js';
import { fillArgv } from '../util/run-command.js';
import { combineClockStates, withClock } from './clock.js';
import { commandOutcome } from './outcome.js';
import { runSimulatorSeed, type SimulatorSeedResult } from './run-seed.js';
import { seedText, validationSeeds } from './seeds.js';
import type { ClockState, CommandOutcome, SimExec } from './types.js';

/** In order: the fast step, then the slow steps. Validation stops at the first that fails. */
export const VALIDATION_STEPS = ['regression_test', 'test_suite', 'failing_seed', 'other_seeds'] as const;
export type ValidationStepName = (typeof VALIDATION_STEPS)[number];

export interface ValidateFixOptions {
  exec: SimExec;
  target: TargetConfig;
  /** Repo-relative path of the panic's regression test (`{testPath}`; its basename is `{test}`). */
  regressionTest: string;
  failingSeed: Seed;
  /** How many other seeds the simulator runs (default target.validationSeeds). */
  extraSeeds?: number;
  /** Simulator runs at once for the other seeds (default: the core count). */
  parallelism?: number;
  /** Full outputs go here, one file per command. */
  outputDir: string;
  /** Prefix of the output files (default: a timestamp), so successive validations don't overwrite. */
  runLabel?: string;
  targetLocation?: string | SourceLocation;
  repoDir?: string;
  clock?: ClockClient;
  tailChars?: number;
}

/** A simulator seed's verdict as kept in a validation report (tails only for failing seeds). */
export type ValidationSeedResult = Omit<SimulatorSeedResult, 'failure'>;

export interface ValidationStepResult {
  step: ValidationStepName;
  passed: boolean;
  summary: string;
  /** regression_test and test_suite. */
  command?: CommandOutcome;
  /** failing_seed and other_seeds. */
  seeds?: ValidationSeedResult[];
  clock: ClockState;
}

export interface ValidationResult {
  passed: boolean;
  /** The step that failed (validation stopped there). */
  failedStep?: ValidationStepName;
  /** The first seed that failed, if a simulator step failed. */
  failedSeed?: string;
  failedSeeds: string[];
  steps: ValidationStepResult[];
  /** Steps not run because an earlier one failed. */
  skippedSteps: ValidationStepName[];
  /** Every seed the simulator steps were to run: the failing seed first. */
  seeds: string[];
  clock: ClockState;
  clockErrors: string[];
}

async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

function seedSummary(result: SimulatorSeedResult): string {
  if (result.passed) return `seed ${result.seed} passed`;
  const where = result.location ? ` at ${result.location}` : '';
  const what = result.message ? `: ${result.message.split('\n')[0]}` : '';
  return `seed ${result.seed} failed (${result.kind}${where}, ${result.exit})${what}`;
}

function slim(result: SimulatorSeedResult): ValidationSeedResult {
  const { failure: _failure, ...rest } = result;
  return result.passed ? { ...rest, tail: '' } : rest;
}

/**
 * Validates a fix: the regression test alone (fast), then the full test suite, then the simulator
 * with the failing seed, then N other seeds in parallel. The failing seed runs alone first: it also
 * builds the simulator, so the parallel runs find it built instead of contending for cargo's lock.
 * Every exit code is checked, and a printed panic fails a seed even with exit 0.
 */
export async function validateFix(options: ValidateFixOptions): Promise<ValidationResult> {
  const { target, exec } = options;
  const label = options.runLabel ?? new Date().toISOString().replace(/[:.]/g, '-');
  await mkdir(options.outputDir, { recursive: true });
  const outputFile = (name: string) => path.join(options.outputDir, `validate-${label}-${name}.log`);
  const failing = seedText(options.failingSeed);
  const others = validationSeeds(options.failingSeed, options.extraSeeds ?? target.validationSeeds);
  const steps: ValidationStepResult[] = [];
  const clockErrors: string[] = [];

  const runCommandStep = async (step: ValidationStepName, argv: string[], timeoutMs: number) => {
    const file = outputFile(step);
    const clocked = await withClock(options.clock, { kind: 'validation', label: step }, () =>
      exec(argv, { timeoutMs, outputFile: file }),
    );
    if (clocked.clockError) clockErrors.push(clocked.clockError);
    const command = commandOutcome(argv, clocked.result, file, options.tailChars);
    const passed = !command.spawnError && command.exitCode === 0 && !command.timedOut;
    return {
      step,
      passed,
      summary: `${step}: ${passed ? 'passed' : command.exit}`,
      command,
      clock: clocked.clock,
    };
  };
  const runSeed = (seed: string) =>
    runSimulatorSeed({
      exec,
      target,
      seed,
      outputFile: outputFile(`seed-${seed}`),
      ...(options.targetLocation === undefined ? {} : { targetLocation: options.targetLocation }),
      ...(options.repoDir ? { repoDir: options.repoDir } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.tailChars ? { tailChars: options.tailChars } : {}),
    });
  const seedStep = (step: ValidationStepName, results: SimulatorSeedResult[]): ValidationStepResult => {
    for (const r of results) if (r.clockError) clockErrors.push(r.clockError);
    const failed = results.filter((r) => !r.passed);
    return {
      step,
      passed: failed.length === 0,
      summary:
        failed.length === 0
          ? `${step}: ${results.length} seed(s) passed`
          : `${step}: ${failed.map(seedSummary).join('; ')}`,
      seeds: results.map(slim),
      clock: combineClockStates(results.map((r) => r.clock)),
    };
  };

  const plan: [ValidationStepName, () => Promise<ValidationStepResult>][] = [
    [
      'regression_test',
      () =>
        runCommandStep(
          'regression_test',
          fillArgv(target.singleTestCommand, {
            test: path.posix.basename(options.regressionTest),
            testPath: options.regressionTest,
          }),
          target.singleTestTimeoutMs,
        ),
    ],
    ['test_suite', () => runCommandStep('test_suite', [...target.testCommand], target.testTimeoutMs)],
    ['failing_seed', async () => seedStep('failing_seed', [await runSeed(failing)])],
    [
      'other_seeds',
      async () =>
        seedStep('other_seeds', await pool(others, options.parallelism ?? os.cpus().length, runSeed)),
    ],
  ];

  let failed: { name: ValidationStepName; index: number; seeds: string[] } | undefined;
  for (const [index, [name, run]] of plan.entries()) {
    const result = await run();
    steps.push(result);
    if (!result.passed) {
      failed = { name, index, seeds: (result.seeds ?? []).filter((s) => !s.passed).map((s) => s.seed) };
      break;
    }
  }
  return {
    passed: failed === undefined,
    ...(failed ? { failedStep: failed.name } : {}),
    ...(failed?.seeds[0] ? { failedSeed: failed.seeds[0] } : {}),
    failedSeeds: failed?.seeds ?? [],
    steps,
    skippedSteps: failed ? plan.slice(failed.index + 1).map(([skipped]) => skipped) : [],
    seeds: [failing, ...others],
    clock: combineClockStates(steps.map((s) => s.clock)),
    clockErrors: [...new Set(clockErrors)],
  };
}
