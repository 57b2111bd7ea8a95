import * as core from '@actions/core';
import {
  actionPanicJob,
  actionReporter,
  homeDirFromAction,
  inputs,
  loadActionConfig,
  PanicStore,
  phaseSummary,
  readInputs,
  runAction,
  runShip,
} from '@panic-fix/core';

await runAction(async () => {
  const reporter = actionReporter();
  const input = readInputs({
    config: inputs.config,
    'panic-location': inputs.location,
    'artifact-dir': inputs.dir,
    'dry-run': inputs.bool,
  });
  const config = await loadActionConfig(
    input.config,
    reporter,
    input['dry-run'] === undefined ? {} : { dryRun: input['dry-run'] },
  );
  const store = await PanicStore.open(config.tursoUrl, config.tursoAuthToken);
  try {
    const job = actionPanicJob({
      config,
      store,
      reporter,
      location: input['panic-location'],
      artifactDir: input['artifact-dir'],
      homeDir: homeDirFromAction(import.meta.url),
    });
    const outcome = await runShip(job, { dryRun: config.dryRun });
    core.setOutput('status', outcome.status);
    core.setOutput('pr-url', outcome.prUrl ?? '');
    reporter.summary(
      phaseSummary({
        title: 'panic-fix ship',
        location: job.location,
        status: outcome.status,
        ...(outcome.failingSeed ? { failingSeed: outcome.failingSeed } : {}),
        ...(outcome.prUrl ? { prUrl: outcome.prUrl } : {}),
        ...(outcome.reason ? { reason: outcome.reason } : {}),
      }),
    );
    if (outcome.status === 'needs_human_review')
      core.setFailed(`ship: ${outcome.reason ?? 'needs human review'}`);
  } finally {
    store.close();
  }
});
