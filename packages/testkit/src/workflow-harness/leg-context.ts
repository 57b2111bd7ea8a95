import type { EvaluationScope } from './expression-evaluator.js';
import { githubContext, type RunState } from './run-state.js';
import type { LocalNodeAction } from './local-action.js';
import type { StepStatus } from './types.js';
import type { JobModel } from './workflow-model.js';

export interface StepContextEntry {
  outputs: Record<string, string>;
  outcome: StepStatus;
  conclusion: StepStatus;
}

export interface PostStep {
  id: string;
  name: string;
  uses: string;
  action: LocalNodeAction;
  post: string;
  postIf: string;
  inputEnv: Record<string, string>;
  stepEnv: Record<string, string>;
  state: Record<string, string>;
}

/** Mutable state of one job run (one matrix leg) while its steps execute. */
export interface LegContext {
  state: RunState;
  job: JobModel;
  name: string;
  matrix: Record<string, unknown> | undefined;
  strategy: Record<string, unknown>;
  needs: Record<string, { outputs: Record<string, string>; result: string }>;
  workspace: string;
  runnerTemp: string;
  toolCache: string;
  jobEnv: Record<string, string>;
  /** Variables written to GITHUB_ENV by earlier steps. */
  exportedEnv: Record<string, string>;
  /** Directories written to GITHUB_PATH, in the order added. */
  prependPath: string[];
  steps: Record<string, StepContextEntry>;
  status: 'success' | 'failure';
  /** True once the job is cancelled (fail-fast, timeout, harness abort). */
  isCancelled: () => boolean;
  /** Aborted when the leg is cancelled: kills the step process running at that moment. */
  cancelSignal: AbortSignal;
  defaults: { shell?: string; workingDirectory?: string };
  posts: PostStep[];
}

export function envContext(leg: LegContext, stepEnv: Record<string, string> = {}): Record<string, string> {
  return { ...leg.state.workflowEnv, ...leg.jobEnv, ...leg.exportedEnv, ...stepEnv };
}

/** Expression scope inside a step: every context, step-level status functions. */
export function stepScope(leg: LegContext, action: string, env: Record<string, string>): EvaluationScope {
  const { state } = leg;
  return {
    contexts: {
      github: githubContext(state, { job: leg.job.id, action, workspace: leg.workspace }),
      inputs: state.inputs,
      vars: state.options.vars,
      secrets: state.options.secrets,
      env,
      needs: leg.needs,
      matrix: leg.matrix ?? null,
      strategy: leg.strategy,
      steps: leg.steps,
      job: { status: leg.isCancelled() ? 'cancelled' : leg.status, container: {}, services: {} },
      runner: {
        name: 'workflow-harness',
        os: 'Linux',
        arch: 'X64',
        temp: leg.runnerTemp,
        tool_cache: leg.toolCache,
        debug: '',
      },
    },
    status: {
      success: () => leg.status === 'success' && !leg.isCancelled(),
      failure: () => leg.status === 'failure',
      cancelled: () => leg.isCancelled(),
    },
  };
}
