/** Public result and extension types of the workflow harness. */

export type StepStatus = 'success' | 'failure' | 'cancelled' | 'skipped';
export type JobStatus = 'success' | 'failure' | 'cancelled' | 'skipped';

export interface WorkflowCommand {
  /** e.g. `error`, `warning`, `notice`, `group`, `endgroup`, `add-mask`, `debug`. */
  command: string;
  properties: Record<string, string>;
  /** Masked message (an `add-mask` value is recorded as `***`). */
  message: string;
}

export interface StepRunResult {
  /** The step `id:`, or the id GitHub generates (`__run`, `__actions_checkout`, …). */
  id: string;
  name: string;
  kind: 'run' | 'uses' | 'post';
  uses?: string;
  /** Result before `continue-on-error` (what `steps.<id>.outcome` shows). */
  outcome: StepStatus;
  /** Result after `continue-on-error` (what `steps.<id>.conclusion` shows). */
  conclusion: StepStatus;
  outputs: Record<string, string>;
  /** Masked combined stdout/stderr, workflow command lines removed. */
  log: string;
  commands: WorkflowCommand[];
  /** Masked `GITHUB_STEP_SUMMARY` contents. */
  summary: string;
  exitCode?: number | null;
  timedOut: boolean;
  /** Why the step failed when it was not a plain non-zero exit (masked). */
  error?: string;
  durationMs: number;
}

export interface LegRunResult {
  /** `job` or `job (v1, v2)` like GitHub's matrix job names. */
  name: string;
  index: number;
  matrix?: Record<string, unknown>;
  result: JobStatus;
  /** The job ran past `timeout-minutes` and was killed. */
  timedOut: boolean;
  /** Stopped because another leg failed with `fail-fast`. */
  cancelledByFailFast: boolean;
  steps: StepRunResult[];
  outputs: Record<string, string>;
  /** Step summaries joined in step order (masked). */
  summary: string;
  log: string;
  runsOn: unknown;
  workspace: string;
  /** Setup or evaluation failure GitHub would show at job level (masked). */
  error?: string;
  startedAt: number;
  finishedAt: number;
}

export interface JobRunResult {
  id: string;
  result: JobStatus;
  /** What `needs.<id>.outputs` shows downstream. */
  outputs: Record<string, string>;
  legs: LegRunResult[];
  /** Highest number of legs observed running at the same moment. */
  maxObservedConcurrency: number;
  strategy?: { maxParallel: number; failFast: boolean; legCount: number };
  permissions?: unknown;
  /** Job-level failure before any leg ran (bad strategy/matrix, …) (masked). */
  error?: string;
  /** Output values dropped because they contained a secret, as GitHub does. */
  skippedOutputs: string[];
}

export interface WorkflowRunResult {
  conclusion: 'success' | 'failure' | 'cancelled';
  jobs: Record<string, JobRunResult>;
  /** Job ids in the order they started. */
  jobOrder: string[];
  workDir: string;
  artifactsDir: string;
  /** Names of the artifacts this run uploaded (the directory may hold older runs' too). */
  artifacts: string[];
  eventPath: string;
  permissions?: unknown;
  concurrency?: unknown;
  /** Every leg's log concatenated (masked). */
  log: string;
}

/** What an in-process implementation of a remote action (`owner/repo@sha`) gets. */
export interface ActionContext {
  /** `owner/repo[/path]` without the ref. */
  action: string;
  ref: string;
  /** Evaluated `with:` values (strings, as the runner passes them). */
  inputs: Record<string, string>;
  getInput(name: string, options?: { required?: boolean }): string;
  setOutput(name: string, value: string): void;
  exportVariable(name: string, value: string): void;
  addPath(dir: string): void;
  appendSummary(markdown: string): void;
  setSecret(value: string): void;
  log(line: string): void;
  /** The step's environment as a process would see it. */
  env: Record<string, string>;
  workspace: string;
  runnerTemp: string;
  repoRoot: string;
  workDir: string;
  artifactsDir: string;
  jobId: string;
  matrix?: Record<string, unknown>;
  signal: AbortSignal;
}

/** Throw to fail the step. */
export type ActionImplementation = (context: ActionContext) => void | Promise<void>;

export interface StepEvent {
  phase: 'start' | 'end';
  jobId: string;
  /** Leg display name (`job` or `job (a, b)`). */
  leg: string;
  legIndex: number;
  stepId: string;
  stepName: string;
  /** Present for `end`. */
  result?: StepRunResult;
}

/** Awaited by the harness: a listener may pause the run or throw to abort it. */
export type StepListener = (event: StepEvent) => void | Promise<void>;
