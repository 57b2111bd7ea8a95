import * as core from '@actions/core';
import type { Config } from '../config/schema.js';
import type { PanicJob } from '../pipeline/job.js';
import type { ShipOutcome } from '../pipeline/ship.js';
import { phaseSummary } from '../pipeline/summary.js';
import { inputs, runStoreAction } from './context.js';
import { actionPanicJob, homeDirFromAction } from './panic-job.js';

/**
 * The body every per-panic action shares: inputs, config (secrets masked), store, the job, then the
 * phase; outputs, a summary table, and a failed step when the panic needs a human.
 */
export function runPanicAction(
  name: 'reproduce' | 'fix' | 'ship',
  actionFileUrl: string,
  phase: (job: PanicJob, config: Config) => Promise<ShipOutcome>,
): Promise<void> {
  return runStoreAction(
    { 'panic-location': inputs.location, 'artifact-dir': inputs.dir },
    async ({ reporter, input, config, store }) => {
      const job = actionPanicJob({
        config,
        store,
        reporter,
        location: input['panic-location'],
        artifactDir: input['artifact-dir'],
        homeDir: homeDirFromAction(actionFileUrl),
      });
      const outcome = await phase(job, config);
      core.setOutput('status', outcome.status);
      core.setOutput('failing-seed', outcome.failingSeed ?? '');
      core.setOutput('pr-url', outcome.prUrl ?? '');
      reporter.summary(
        phaseSummary({
          title: `panic-fix ${name}`,
          location: job.location,
          status: outcome.status,
          ...(outcome.failingSeed ? { failingSeed: outcome.failingSeed } : {}),
          ...(outcome.prUrl ? { prUrl: outcome.prUrl } : {}),
          ...(outcome.reason ? { reason: outcome.reason } : {}),
          ...(outcome.report ? { metrics: outcome.report } : {}),
          ...(outcome.validation ? { validation: outcome.validation } : {}),
        }),
      );
      if (outcome.status === 'needs_human_review')
        core.setFailed(`${name}: ${outcome.reason ?? 'needs human review'}`);
    },
  );
}
