import * as core from '@actions/core';
import {
  actionReporter,
  inputs,
  loadActionConfig,
  preflightSummary,
  readInputs,
  runAction,
  runOwner,
  runPreflight,
  runUrl,
  PanicStore,
} from '@panic-fix/core';

await runAction(async () => {
  const reporter = actionReporter();
  const input = readInputs({
    config: inputs.config,
    'panic-location': inputs.optionalLocation,
    'dry-run': inputs.bool,
  });
  const config = await loadActionConfig(input.config, reporter, { dryRun: input['dry-run'] });
  const store = await PanicStore.open(config.tursoUrl, config.tursoAuthToken);
  try {
    const result = await runPreflight({
      config,
      store,
      owner: runOwner(),
      reporter,
      ...(input['panic-location'] ? { location: input['panic-location'] } : {}),
      ...(runUrl() ? { runUrl: runUrl() } : {}),
    });
    core.setOutput('matrix', JSON.stringify({ include: result.claimed }));
    core.setOutput('count', String(result.claimed.length));
    core.setOutput('max_parallel', String(result.maxParallel));
    core.setOutput('base_commit', result.baseCommit);
    reporter.summary(preflightSummary(result));
  } finally {
    store.close();
  }
});
