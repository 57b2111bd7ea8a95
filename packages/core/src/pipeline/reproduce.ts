import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { readPanicContext, writePanicContext, type Seed } from '../context-file.js';
import { changedPaths, createSandbox, saveSandboxHandle } from '../sandbox/index.js';
import type { Sandbox } from '../sandbox/types.js';
import { runSimulatorSeed } from '../sim/index.js';
import { panicPromptVars } from '../prompts/index.js';
import { runAgentPhase, type Verdict } from './agent-phase.js';
import { endFailedPhase, leasedPhase, type PhaseOutcome } from './phase-guard.js';
import { writeHandoff, handoffFile, sandboxHandleFile } from './handoff.js';
import { ourRow, phaseLog, PhaseFailure, type PanicJob } from './job.js';
import { verifyBaseRepo } from './preflight.js';
import { contextFile, digestFiles, sandboxExec, toolOutputDir } from './sandbox-io.js';
import { runRegressionTest, writeRegressionTest, type RegressionTest } from './regression-setup.js';
import type { Status } from '../state/machine.js';

export type { PhaseOutcome } from './phase-guard.js';

/** Paths a reproducer may change: the simulator and the files the pipeline itself wrote. */
export function allowedReproducerPath(
  file: string,
  simulatorPaths: readonly string[],
  pipelineFiles: readonly string[],
): boolean {
  return (
    pipelineFiles.includes(file) ||
    simulatorPaths.some(
      (prefix) =>
        file === prefix.replace(/\/$/, '') || file.startsWith(prefix.endsWith('/') ? prefix : `${prefix}/`),
    )
  );
}

/** Does the seed make the (sandboxed) simulator panic at the target's file and line? */
export async function verifySeedReproduces(
  job: PanicJob,
  sandbox: Sandbox,
  seed: Seed,
  label: string,
): Promise<Verdict> {
  const outputDir = toolOutputDir(sandbox);
  await mkdir(outputDir, { recursive: true });
  const run = await runSimulatorSeed({
    exec: sandboxExec(sandbox, job.signal),
    target: job.config.target,
    seed,
    targetLocation: job.location,
    outputFile: path.join(outputDir, `verify-${label}-seed-${String(seed)}.log`),
    timeoutMs: job.config.target.simulatorTimeoutMs,
    repoDir: sandbox.repoDir,
  });
  if (run.match?.matches) return { ok: true };
  const found = run.panicFound
    ? `it failed (${run.kind}) at ${run.location ?? 'an unknown location'}${run.message ? `: ${run.message.split('\n')[0]}` : ''}`
    : run.passed
      ? 'it passed'
      : `it failed without a panic (${run.exit})`;
  return {
    ok: false,
    feedback: `running the simulator with seed ${String(seed)} did not panic at ${job.location}: ${found}\n${run.tail.slice(-1500)}`,
  };
}

/**
 * repo_setup → reproducing → fixing. Sets up the sandbox and the regression test, checks the SQL
 * panics on the base commit, runs the reproducer, and moves on only after re-running the reported
 * seed itself.
 */
export async function runReproduce(job: PanicJob): Promise<PhaseOutcome> {
  let log = phaseLog(job, 'repo_setup');
  let status: Status = 'repo_setup';
  let sandbox: Sandbox | undefined;
  const leased = leasedPhase(job);
  const phaseJob = leased.job;
  try {
    const row = await ourRow(job, ['repo_setup']);
    const baseCommit = await verifyBaseRepo(job.config);
    sandbox = await createSandbox(job.config.sandbox, {
      baseRepo: job.config.baseRepoPath,
      baseSha: baseCommit,
      id: job.names.sessionId,
      workDir: job.workDir,
      baseVerifiedClean: true, // verifyBaseRepo just checked it; keeps creation O(1) in tree size
      ...(job.sandboxDetection ? { detection: job.sandboxDetection } : {}),
      log: (message) => log.info(message),
    });
    await saveSandboxHandle(sandboxHandleFile(job.workDir, job.names.sessionId), sandbox);
    await mkdir(toolOutputDir(sandbox), { recursive: true });

    const test = await writeRegressionTest({
      config: job.config,
      sandbox,
      names: job.names,
      sql: row.sql_statements,
      location: job.location,
      log: (m) => log.info(m),
    });
    const onBase = await job.reporter.group('regression test on the base commit', () =>
      runRegressionTest({
        config: job.config,
        sandbox: sandbox!,
        test,
        location: job.location,
        outputDir: toolOutputDir(sandbox!),
        prepare: true,
        signal: phaseJob.signal,
      }),
    );
    if (onBase.kind !== 'failedWithTargetPanic') {
      throw new PhaseFailure(
        onBase.kind === 'passed'
          ? `the panic's SQL does not panic on base ${baseCommit.slice(0, 12)}: its regression test passes (already fixed, or the SQL is incomplete)`
          : `the panic's SQL does not panic at ${job.location} on base ${baseCommit.slice(0, 12)}: ${onBase.detail}`,
      );
    }
    log.info(`regression test ${test.path} fails on the base commit with the target panic, as it must`);

    await writePanicContext(contextFile(sandbox), {
      panic_location: job.location,
      panic_message: row.panic_message,
      sql_statements: row.sql_statements,
      regression_test: test.path,
      base_commit: baseCommit,
    });
    await job.store.transition({
      location: job.location,
      owner: job.owner,
      from: 'repo_setup',
      to: 'reproducing',
      leaseMs: job.config.leaseMs,
      set: { branch_name: job.names.branch, base_commit: baseCommit },
    });
    status = 'reproducing';
    await log.flush();
    log = phaseLog(job, 'reproducing');

    const pipelineFiles = [test.path, job.config.target.tclSuiteFile];
    let verifiedSeed: Seed | undefined;
    let verifiedChanges: string[] = [];
    const result = await runAgentPhase({
      job: phaseJob,
      sandbox,
      phase: 'reproducing',
      vars: promptVars(job, sandbox, row, test),
      tools: toolsSettings(job, sandbox, row, test),
      log,
      verify: async (attempt) => {
        const context = await readPanicContext(contextFile(sandbox!));
        if (context.failing_seed === undefined)
          return {
            ok: false,
            feedback:
              'no failing seed was reported (call describe-sim-fix with the seed that reproduces the panic)',
          };
        const changed = await changedPaths(sandbox!);
        const outside = changed.filter(
          (f) => !allowedReproducerPath(f, job.config.target.simulatorPaths, pipelineFiles),
        );
        if (outside.length > 0) {
          return {
            ok: false,
            feedback: `the reproducer may only change the simulator (${job.config.target.simulatorPaths.join(', ')}), but changed: ${outside.slice(0, 20).join(', ')}. Revert those files.`,
          };
        }
        const verdict = await verifySeedReproduces(
          phaseJob,
          sandbox!,
          context.failing_seed,
          `reproducer-${attempt}`,
        );
        if (verdict.ok) {
          verifiedSeed = context.failing_seed;
          verifiedChanges = changed;
        }
        return verdict;
      },
    });
    if (!result.ok || verifiedSeed === undefined)
      throw new PhaseFailure(
        `the reproducer did not produce a verified failing seed: ${result.reason ?? 'unknown'}`,
      );

    const simulatorFiles = verifiedChanges.filter((f) => !pipelineFiles.includes(f));
    const digests = await digestFiles(sandbox, [test.path, ...simulatorFiles]);
    await writeHandoff(handoffFile(job.workDir, job.names.sessionId), {
      version: 1,
      panic_location: job.location,
      base_commit: baseCommit,
      failing_seed: verifiedSeed,
      regression_test: test,
      test_digest: digests[test.path] ?? 'deleted',
      simulator_files: Object.fromEntries(simulatorFiles.map((f) => [f, digests[f] ?? 'deleted'])),
      reproducing: result.report,
    });
    const seedText = String(verifiedSeed);
    await job.store.transition({
      location: job.location,
      owner: job.owner,
      from: 'reproducing',
      to: 'fixing',
      leaseMs: job.config.leaseMs,
      set: { failing_seed: seedText },
    });
    log.info(`seed ${seedText} reproduces the panic at ${job.location} (verified by the pipeline)`);
    return { status: 'fixing', failingSeed: seedText, report: result.report };
  } catch (error) {
    return endFailedPhase({
      job,
      leased,
      error,
      from: status,
      phase: status === 'repo_setup' ? 'repo_setup' : 'reproducing',
      sandbox,
      log,
    });
  } finally {
    leased.stop();
    await log.flush();
  }
}

export function promptVars(
  job: PanicJob,
  sandbox: Sandbox,
  row: { panic_message: string; sql_statements: string },
  test: RegressionTest,
  extra: { failingSeed?: string; whySimulatorMissed?: string; simulatorChanges?: string } = {},
): Record<string, string> {
  return {
    ...panicPromptVars({
      panicLocation: job.location,
      panicMessage: row.panic_message,
      sqlStatements: row.sql_statements,
      target: job.config.target,
      regressionTest: test.path,
      repoDir: sandbox.repoDir,
      ...extra,
    }),
    expected_output_source:
      test.expectedFrom === 'sqlite3'
        ? 'taken from sqlite3 (keep it)'
        : 'unknown: set it to what sqlite3 returns for the SQL',
  };
}

export function toolsSettings(
  job: PanicJob,
  sandbox: Sandbox,
  row: { panic_message: string },
  test: RegressionTest,
) {
  return {
    panicLocation: job.location,
    panicMessage: row.panic_message,
    repoDir: sandbox.repoDir,
    contextFile: contextFile(sandbox),
    outputDir: toolOutputDir(sandbox),
    regressionTest: test.path,
    target: job.config.target,
  };
}
