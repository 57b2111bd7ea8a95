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
  runReproduce,
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
    const outcome = await runReproduce(job);
    core.setOutput('status', outcome.status);
    core.setOutput('failing-seed', outcome.failingSeed ?? '');
    reporter.summary(
      phaseSummary({
        title: 'panic-fix reproduce',
        location: job.location,
        status: outcome.status,
        ...(outcome.failingSeed ? { failingSeed: outcome.failingSeed } : {}),
        ...(outcome.reason ? { reason: outcome.reason } : {}),
        ...(outcome.report ? { metrics: outcome.report } : {}),
      }),
    );
    if (outcome.status === 'needs_human_review')
      core.setFailed(`reproduce: ${outcome.reason ?? 'needs human review'}`);
  } finally {
    store.close();
  }
});
