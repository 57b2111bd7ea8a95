import * as core from '@actions/core';
import { inputs, preflightSummary, runOwner, runPreflight, runStoreAction, runUrl } from '@panic-fix/core';

await runStoreAction(
  { 'panic-location': inputs.optionalLocation },
  async ({ reporter, input, config, store }) => {
    const url = runUrl();
    const result = await runPreflight({
      config,
      store,
      owner: runOwner(),
      reporter,
      ...(input['panic-location'] ? { location: input['panic-location'] } : {}),
      ...(url ? { runUrl: url } : {}),
    });
    core.setOutput('matrix', JSON.stringify({ include: result.claimed }));
    core.setOutput('count', String(result.claimed.length));
    core.setOutput('max_parallel', String(result.maxParallel));
    core.setOutput('base_commit', result.baseCommit);
    reporter.summary(preflightSummary(result));
  },
);
