import type { EvaluationScope } from './expression-evaluator.js';
import { githubContext, type RunState } from './run-state.js';
import type { JobStatus } from './types.js';

export interface NeedsEntry {
  outputs: Record<string, string>;
  result: JobStatus;
}

/**
 * Scope of job-level expressions (`if`, `strategy`, `runs-on`, …): status functions look at the job's
 * dependencies: `success()` wants every direct need to have succeeded, `failure()` is true when any ancestor failed.
 */
export function jobScope(
  state: RunState,
  jobId: string,
  needs: Record<string, NeedsEntry>,
  ancestorResults: JobStatus[],
  extra: { matrix?: Record<string, unknown>; strategy?: Record<string, unknown>; workspace?: string } = {},
): EvaluationScope {
  const results = (names: string[]): JobStatus[] =>
    names.length === 0
      ? Object.values(needs).map((need) => need.result)
      : names.map((name) => {
          const need = needs[name];
          if (!need) throw new Error(`job '${jobId}': '${name}' is not in needs`);
          return need.result;
        });
  return {
    contexts: {
      github: githubContext(state, { job: jobId, workspace: extra.workspace ?? '' }),
      inputs: state.inputs,
      vars: state.options.vars,
      secrets: state.options.secrets,
      env: state.workflowEnv,
      needs,
      matrix: extra.matrix ?? null,
      strategy: extra.strategy ?? {},
    },
    status: {
      success: (names) => !state.abort.signal.aborted && results(names).every((r) => r === 'success'),
      failure: (names) =>
        names.length === 0
          ? ancestorResults.includes('failure')
          : results(names).some((r) => r === 'failure'),
      cancelled: () => state.abort.signal.aborted,
    },
  };
}
