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
  runFix,
} from '@panic-fix/core';

await runAction(async () => {
  const reporter = actionReporter();
  const input = readInputs({
    config: inputs.config,
    'panic-location': inputs.location,
    'artifact-dir': inputs.dir,
  });
  const config = await loadActionConfig(input.config, reporter);
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
    const outcome = await runFix(job);
    core.setOutput('status', outcome.status);
    reporter.summary(
      phaseSummary({
        title: 'panic-fix fix',
        location: job.location,
        status: outcome.status,
        ...(outcome.failingSeed ? { failingSeed: outcome.failingSeed } : {}),
        ...(outcome.reason ? { reason: outcome.reason } : {}),
        ...(outcome.report ? { metrics: outcome.report } : {}),
        ...(outcome.validation ? { validation: outcome.validation } : {}),
      }),
    );
    if (outcome.status === 'needs_human_review')
      core.setFailed(`fix: ${outcome.reason ?? 'needs human review'}`);
  } finally {
    store.close();
  }
});
