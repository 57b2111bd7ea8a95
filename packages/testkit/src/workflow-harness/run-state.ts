import type { ArtifactStore } from './artifact-store.js';
import type { WorkflowHarnessError } from './errors.js';
import type { Masker } from './masker.js';
import type { ResolvedOptions } from './options.js';
import type { ActionImplementation } from './types.js';
import type { WorkflowModel } from './workflow-model.js';

/** Everything shared by all jobs of one run. */
export interface RunState {
  options: ResolvedOptions;
  model: WorkflowModel;
  masker: Masker;
  artifacts: ArtifactStore;
  remoteActions: Record<string, ActionImplementation>;
  event: { name: string; payload: Record<string, unknown>; path: string };
  /** The `inputs` context (empty for `schedule`, typed values for `workflow_dispatch`). */
  inputs: Record<string, unknown>;
  /** Evaluated workflow-level `env`. */
  workflowEnv: Record<string, string>;
  /** Environment of the "runner machine" every step process inherits. */
  machineEnv: Record<string, string>;
  /** Aborted when the harness hits something it refuses to emulate: every job stops. */
  abort: AbortController;
  fatal?: WorkflowHarnessError;
}

export function recordFatal(state: RunState, error: WorkflowHarnessError): void {
  state.fatal ??= error;
  state.abort.abort(error);
}

/** The `github` context as GitHub fills it for this run. */
export function githubContext(state: RunState, extra: { job: string; action?: string; workspace: string }) {
  const g = state.options.github;
  const [owner = ''] = g.repository.split('/');
  const refName = g.ref.replace(/^refs\/(heads|tags)\//, '');
  return {
    action: extra.action ?? '',
    action_path: '',
    action_ref: '',
    action_repository: '',
    actor: g.actor,
    api_url: g.apiUrl,
    base_ref: '',
    event: state.event.payload,
    event_name: state.event.name,
    event_path: state.event.path,
    graphql_url: g.graphqlUrl,
    head_ref: '',
    job: extra.job,
    ref: g.ref,
    ref_name: refName,
    ref_protected: false,
    ref_type: g.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    repository: g.repository,
    repository_owner: owner,
    retention_days: '90',
    run_attempt: '1',
    run_id: g.runId,
    run_number: g.runNumber,
    server_url: g.serverUrl,
    sha: g.sha,
    token: state.options.secrets.GITHUB_TOKEN ?? '',
    triggering_actor: g.actor,
    workflow: state.model.name ?? state.model.file,
    workspace: extra.workspace,
  };
}

/** Variables the runner defines for every step process. */
export function runnerDefinedEnv(
  state: RunState,
  extra: { job: string; action: string; workspace: string; runnerTemp: string; toolCache: string },
): Record<string, string> {
  const g = state.options.github;
  return {
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_ACTION: extra.action,
    GITHUB_ACTOR: g.actor,
    GITHUB_API_URL: g.apiUrl,
    GITHUB_EVENT_NAME: state.event.name,
    GITHUB_EVENT_PATH: state.event.path,
    GITHUB_GRAPHQL_URL: g.graphqlUrl,
    GITHUB_JOB: extra.job,
    GITHUB_REF: g.ref,
    GITHUB_REF_NAME: g.ref.replace(/^refs\/(heads|tags)\//, ''),
    GITHUB_REF_TYPE: g.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    GITHUB_REPOSITORY: g.repository,
    GITHUB_REPOSITORY_OWNER: g.repository.split('/')[0] ?? '',
    GITHUB_RETENTION_DAYS: '90',
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_RUN_ID: g.runId,
    GITHUB_RUN_NUMBER: g.runNumber,
    GITHUB_SERVER_URL: g.serverUrl,
    GITHUB_SHA: g.sha,
    GITHUB_TRIGGERING_ACTOR: g.actor,
    GITHUB_WORKFLOW: state.model.name ?? state.model.file,
    GITHUB_WORKSPACE: extra.workspace,
    RUNNER_ARCH: 'X64',
    RUNNER_NAME: 'workflow-harness',
    RUNNER_OS: 'Linux',
    RUNNER_TEMP: extra.runnerTemp,
    RUNNER_TOOL_CACHE: extra.toolCache,
  };
}
