import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readPanicContext } from '../context-file.js';
import { loadSandboxHandle, openSandbox } from '../sandbox/index.js';
import type { Sandbox } from '../sandbox/types.js';
import { validateFix, type ValidationResult } from '../sim/index.js';
import { runAgentPhase } from './agent-phase.js';
import { endFailedPhase, leasedPhase } from './phase-guard.js';
import { ARTIFACT_FILES, writeArtifactSummary, type ValidationStep } from './artifact.js';
import { exportToArtifact } from './export.js';
import { handoffFile, readHandoff, sandboxHandleFile, type Handoff } from './handoff.js';
import { ourRow, phaseLog, PhaseFailure, type PanicJob } from './job.js';
import { promptVars, toolsSettings } from './reproduce.js';
import type { PhaseOutcome } from './phase-guard.js';
import { contextFile, digestFiles, sandboxExec, toolOutputDir } from './sandbox-io.js';

/** The validation report as it goes into the artifact and the PR body. */
export function validationSteps(run: ValidationResult): ValidationStep[] {
  const durationOf = (step: ValidationResult['steps'][number]) =>
    step.command?.durationMs ?? (step.seeds ?? []).reduce((max, seed) => Math.max(max, seed.durationMs), 0);
  return [
    ...run.steps.map((step) => ({
      name: step.step,
      ok: step.passed,
      durationMs: durationOf(step),
      detail: step.summary.slice(0, 2000),
    })),
    ...run.skippedSteps.map((step) => ({
      name: step,
      ok: false,
      durationMs: 0,
      detail: 'not run: an earlier step failed',
    })),
  ];
}

/** The fixer must keep the reproducer's simulator change (and an oracle-made test) exactly. */
async function untouched(sandbox: Sandbox, handoff: Handoff): Promise<string[]> {
  const expected: Record<string, string> = { ...handoff.simulator_files };
  if (handoff.regression_test.expectedFrom === 'sqlite3')
    expected[handoff.regression_test.path] = handoff.test_digest;
  const now = await digestFiles(sandbox, Object.keys(expected));
  return Object.keys(expected).filter((file) => now[file] !== expected[file]);
}

/**
 * fixing → shipping. Runs the fixer, then validates independently (regression test, full suite,
 * failing seed and N more); only a validated fix is exported for the ship job.
 */
export async function runFix(job: PanicJob): Promise<PhaseOutcome> {
  const log = phaseLog(job, 'fixing');
  let sandbox: Sandbox | undefined;
  const leased = leasedPhase(job);
  const phaseJob = leased.job;
  try {
    const row = await ourRow(job, ['fixing']);
    const handoff = await readHandoff(handoffFile(job.workDir, job.names.sessionId), job.location);
    sandbox = await openSandbox(await loadSandboxHandle(sandboxHandleFile(job.workDir, job.names.sessionId)));
    const test = handoff.regression_test;
    const startContext = await readPanicContext(contextFile(sandbox));
    let validation: ValidationStep[] = [];

    const result = await runAgentPhase({
      job: phaseJob,
      sandbox,
      phase: 'fixing',
      vars: promptVars(job, sandbox, row, test, {
        failingSeed: String(handoff.failing_seed),
        ...(startContext.why_simulator_missed
          ? { whySimulatorMissed: startContext.why_simulator_missed }
          : {}),
        ...(startContext.simulator_changes ? { simulatorChanges: startContext.simulator_changes } : {}),
      }),
      tools: toolsSettings(job, sandbox, row, test),
      log,
      verify: async (attempt) => {
        const context = await readPanicContext(contextFile(sandbox!));
        const missing = (['bug_description', 'fix_description'] as const).filter((k) => !context[k]?.trim());
        if (missing.length > 0)
          return { ok: false, feedback: `describe-fix was not called (missing ${missing.join(', ')})` };
        const changed = await untouched(sandbox!, handoff);
        if (changed.length > 0) {
          return {
            ok: false,
            feedback: `the fix changed files it must keep as they were: ${changed.join(', ')} (the simulator change that reproduces the panic, and the regression test). Restore them.`,
          };
        }
        const run = await job.reporter.group(`independent validation (attempt ${attempt})`, () =>
          validateFix({
            exec: sandboxExec(sandbox!, phaseJob.signal),
            target: job.config.target,
            regressionTest: test.path,
            failingSeed: handoff.failing_seed,
            extraSeeds: job.config.target.validationSeeds,
            outputDir: path.join(toolOutputDir(sandbox!), 'validation'),
            runLabel: `pipeline-${attempt}`,
            // Each overlay run mounts its own view of one upper dir: concurrent writers are undefined
            // behaviour for the kernel, so the pipeline's own seeds run one at a time there.
            ...(sandbox!.backend === 'overlay' ? { parallelism: 1 } : {}),
            targetLocation: job.location,
            repoDir: sandbox!.repoDir,
          }),
        );
        validation = validationSteps(run);
        if (run.passed) return { ok: true };
        const failed = run.steps.find((s) => !s.passed);
        const tail = failed?.command?.tail ?? failed?.seeds?.find((seed) => !seed.passed)?.tail ?? '';
        return {
          ok: false,
          feedback: `validation failed at ${run.failedStep ?? '?'}: ${failed?.summary ?? ''}\n${tail.slice(-3000)}`,
        };
      },
    });
    await writeFile(
      path.join(job.artifactDir, ARTIFACT_FILES.validation),
      `${JSON.stringify(validation, null, 2)}\n`,
    );
    if (!result.ok) throw new PhaseFailure(`the fix was not accepted: ${result.reason ?? 'unknown'}`);

    const exported = await exportToArtifact(job, sandbox);
    await writeArtifactSummary(job.artifactDir, {
      version: 1,
      panic_location: job.location,
      slug: job.names.slug,
      branch: job.names.branch,
      base_commit: handoff.base_commit,
      failing_seed: handoff.failing_seed,
      regression_test: { path: test.path, format: test.format },
      validation,
      phases: { reproducing: handoff.reproducing, fixing: result.report },
      backend: sandbox.backend,
      ...(job.runUrl ? { run_url: job.runUrl } : {}),
    });
    await job.store.transition({
      location: job.location,
      owner: job.owner,
      from: 'fixing',
      to: 'shipping',
      leaseMs: job.config.leaseMs,
    });
    log.info(
      `fix validated (${validation.map((s) => `${s.name} ${s.ok ? 'ok' : 'failed'}`).join(', ')}); ${exported.patchBytes} bytes of patch exported`,
    );
    await sandbox.destroy();
    return {
      status: 'shipping',
      failingSeed: String(handoff.failing_seed),
      report: result.report,
      validation,
    };
  } catch (error) {
    return endFailedPhase({ job, leased, error, from: 'fixing', phase: 'fixing', sandbox, log });
  } finally {
    leased.stop();
    await log.flush();
  }
}
