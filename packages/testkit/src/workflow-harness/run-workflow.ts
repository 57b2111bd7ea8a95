import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ArtifactStore } from './artifact-store.js';
import { builtinActions } from './builtin-actions.js';
import { JobSetupError, WorkflowHarnessError } from './errors.js';
import { evaluateCondition, evaluateToken, type EvaluationScope } from './expression-evaluator.js';
import type { LegContext } from './leg-context.js';
import { stepScope, envContext } from './leg-context.js';
import { expandMatrix, legName, type MatrixLeg } from './matrix.js';
import { Masker } from './masker.js';
import { resolveOptions, type ResolvedOptions, type RunWorkflowOptions } from './options.js';
import { evaluateStringMap, runPostStep, runStep } from './run-leg.js';
import { recordFatal, type RunState } from './run-state.js';
import { jobScope, type NeedsEntry } from './scope.js';
import type { JobRunResult, JobStatus, LegRunResult, StepRunResult, WorkflowRunResult } from './types.js';
import { loadWorkflow, type JobModel, type WorkflowModel } from './workflow-model.js';

/** Variables of this process that would make a step believe it runs inside some other Actions job. */
const RUNNER_PREFIXES = ['GITHUB_', 'RUNNER_', 'INPUT_', 'STATE_', 'ACTIONS_'];
const DEFAULT_JOB_TIMEOUT_MINUTES = 360;

/**
 * Runs a workflow file locally the way GitHub's runner would for our workflows: GitHub's parser and expression
 * engine, jobs in `needs` order, matrix legs bounded by `max-parallel`, local node actions as processes.
 * Rejects with a WorkflowHarnessError when the workflow uses anything it does not emulate.
 */
export async function runWorkflow(input: RunWorkflowOptions): Promise<WorkflowRunResult> {
  const options = await resolveOptions(input);
  const model = await loadWorkflow(options.workflowPath);
  const state = await prepareState(options, model);

  const results: Record<string, JobRunResult> = {};
  const jobOrder: string[] = [];
  const running = new Map<string, Promise<void>>();
  const pending = new Set(model.jobs.map((job) => job.id));
  const byId = new Map(model.jobs.map((job) => [job.id, job]));
  for (const job of model.jobs) {
    for (const need of job.needs) {
      if (!byId.has(need)) throw new WorkflowHarnessError(`${job.where}: needs unknown job '${need}'`);
    }
  }

  while (pending.size > 0 || running.size > 0) {
    for (const id of [...pending]) {
      const job = byId.get(id)!;
      if (!job.needs.every((need) => results[need])) continue;
      pending.delete(id);
      jobOrder.push(id);
      running.set(
        id,
        runJob(state, job, results, byId).then((result) => {
          results[id] = result;
          running.delete(id);
        }),
      );
    }
    if (running.size === 0) {
      if (pending.size > 0)
        throw new WorkflowHarnessError(`jobs ${[...pending].join(', ')} have cyclic needs`);
      break;
    }
    await Promise.race(running.values());
  }
  if (state.fatal) throw state.fatal;

  const all = Object.values(results);
  const conclusion = all.some((job) => job.result === 'failure')
    ? 'failure'
    : all.some((job) => job.result === 'cancelled')
      ? 'cancelled'
      : 'success';
  const log = jobOrder
    .flatMap((id) => results[id]!.legs.map((leg) => `=== ${leg.name}\n${leg.log}`))
    .join('\n');
  const { concurrency, permissions } = evaluateRunMetadata(state, model);
  return {
    conclusion,
    jobs: results,
    jobOrder,
    workDir: options.workDir,
    artifactsDir: options.artifactsDir,
    artifacts: state.artifacts.names(),
    eventPath: state.event.path,
    ...(permissions !== undefined ? { permissions } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    log,
  };
}

function evaluateRunMetadata(state: RunState, model: WorkflowModel) {
  const scope = jobScope(state, '', {}, []);
  return {
    permissions: model.permissions ? evaluateToken(model.permissions, scope, 'permissions') : undefined,
    concurrency: model.concurrency ? evaluateToken(model.concurrency, scope, 'concurrency') : undefined,
  };
}

async function prepareState(options: ResolvedOptions, model: WorkflowModel): Promise<RunState> {
  const name = options.event;
  if (!model.events[name]) {
    throw new WorkflowHarnessError(`${path.basename(model.file)} is not triggered by '${name}'`);
  }
  const inputs = name === 'workflow_dispatch' ? dispatchInputs(model, options.inputs) : {};
  if (name === 'schedule' && Object.keys(options.inputs).length > 0) {
    throw new WorkflowHarnessError('a schedule event has no inputs');
  }
  const payload: Record<string, unknown> =
    name === 'workflow_dispatch'
      ? {
          // GitHub keeps the event's inputs as strings; the `inputs` context has the typed values.
          inputs: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, String(v)])),
          ref: options.github.ref,
          repository: { full_name: options.github.repository },
          sender: { login: options.github.actor },
          workflow: path.relative(options.repoRoot, options.workflowPath),
        }
      : { schedule: options.cron ?? model.events.schedule?.[0]?.cron ?? '' };
  await mkdir(options.workDir, { recursive: true });
  await mkdir(options.artifactsDir, { recursive: true });
  const eventPath = path.join(options.workDir, 'event.json');
  await writeFile(eventPath, JSON.stringify(payload, null, 2));

  const masker = new Masker();
  for (const secret of Object.values(options.secrets)) masker.add(secret);
  const artifacts = new ArtifactStore(options.artifactsDir);
  const machineEnv: Record<string, string> = {};
  if (options.inheritProcessEnv) {
    for (const [key, value] of Object.entries(process.env)) {
      if (value !== undefined && !RUNNER_PREFIXES.some((prefix) => key.startsWith(prefix)))
        machineEnv[key] = value;
    }
  }
  Object.assign(machineEnv, options.env);
  const state: RunState = {
    options,
    model,
    masker,
    artifacts,
    remoteActions: builtinActions(options, artifacts),
    event: { name, payload, path: eventPath },
    inputs,
    workflowEnv: {},
    machineEnv,
    abort: new AbortController(),
  };
  state.workflowEnv = evaluateStringMap(model.env, jobScope(state, '', {}, []), 'workflow env');
  return state;
}

/** The typed `inputs` context of a workflow_dispatch run; GitHub rejects unknown or missing required inputs. */
function dispatchInputs(
  model: WorkflowModel,
  given: Record<string, string | boolean | number>,
): Record<string, unknown> {
  const declared = model.events.workflow_dispatch?.inputs ?? {};
  const unknown = Object.keys(given).filter((key) => !(key in declared));
  if (unknown.length > 0)
    throw new WorkflowHarnessError(`Unexpected inputs provided: ${JSON.stringify(unknown)}`);
  const out: Record<string, unknown> = {};
  for (const [key, config] of Object.entries(declared)) {
    const raw = given[key] ?? config.default;
    if (raw === undefined && config.required) {
      throw new WorkflowHarnessError(`Required input '${key}' not provided`);
    }
    if (config.type === 'boolean') {
      if (raw === undefined || raw === false || raw === 'false') out[key] = false;
      else if (raw === true || raw === 'true') out[key] = true;
      else throw new WorkflowHarnessError(`input '${key}' must be a boolean, got ${JSON.stringify(raw)}`);
    } else if (config.type === 'choice') {
      const value = raw === undefined ? '' : String(raw);
      if (!(config.options ?? []).includes(value)) {
        throw new WorkflowHarnessError(
          `input '${key}': '${value}' is not one of ${JSON.stringify(config.options)}`,
        );
      }
      out[key] = value;
    } else if (config.type === 'environment') {
      throw new WorkflowHarnessError(`unsupported by the workflow harness: environment inputs ('${key}')`);
    } else {
      out[key] = raw === undefined ? '' : String(raw);
    }
  }
  return out;
}

function ancestors(job: JobModel, byId: Map<string, JobModel>): string[] {
  const seen = new Set<string>();
  const visit = (id: string) => {
    for (const need of byId.get(id)?.needs ?? []) {
      if (!seen.has(need)) {
        seen.add(need);
        visit(need);
      }
    }
  };
  visit(job.id);
  return [...seen];
}

interface Strategy {
  legs: Array<MatrixLeg | undefined>;
  failFast: boolean;
  maxParallel: number;
}

function readStrategy(job: JobModel, scope: EvaluationScope): Strategy {
  if (!job.strategy) return { legs: [undefined], failFast: true, maxParallel: 1 };
  const value = evaluateToken(job.strategy, scope, `${job.where} strategy`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JobSetupError(`${job.where}: strategy must be a mapping`);
  }
  const {
    matrix,
    'fail-fast': failFastRaw,
    'max-parallel': maxParallelRaw,
    ...rest
  } = value as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) throw new JobSetupError(`${job.where}: unknown strategy key(s) ${extra.join(', ')}`);
  const legs = matrix === undefined ? [undefined] : expandMatrix(matrix);
  if (legs.length > 256)
    throw new JobSetupError(`${job.where}: a matrix may not produce more than 256 jobs (got ${legs.length})`);
  const failFast =
    failFastRaw === undefined
      ? true
      : failFastRaw === true || failFastRaw === 'true'
        ? true
        : failFastRaw === false || failFastRaw === 'false'
          ? false
          : undefined;
  if (failFast === undefined)
    throw new JobSetupError(`${job.where}: fail-fast must be a boolean, got ${JSON.stringify(failFastRaw)}`);
  let maxParallel = legs.length;
  if (maxParallelRaw !== undefined && maxParallelRaw !== null && maxParallelRaw !== '') {
    const n = typeof maxParallelRaw === 'string' ? Number(maxParallelRaw) : maxParallelRaw;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) {
      throw new JobSetupError(
        `${job.where}: max-parallel must be a positive integer, got ${JSON.stringify(maxParallelRaw)}`,
      );
    }
    maxParallel = n;
  }
  return { legs, failFast, maxParallel };
}

async function runJob(
  state: RunState,
  job: JobModel,
  results: Record<string, JobRunResult>,
  byId: Map<string, JobModel>,
): Promise<JobRunResult> {
  const needs: Record<string, NeedsEntry> = {};
  for (const need of job.needs)
    needs[need] = { outputs: results[need]!.outputs, result: results[need]!.result };
  const ancestorResults = ancestors(job, byId).map((id) => results[id]!.result);
  const base: JobRunResult = {
    id: job.id,
    result: 'skipped',
    outputs: {},
    legs: [],
    maxObservedConcurrency: 0,
    skippedOutputs: [],
  };
  if (state.abort.signal.aborted) return { ...base, result: 'cancelled' };
  const scope = jobScope(state, job.id, needs, ancestorResults);
  let strategy: Strategy;
  try {
    if (!evaluateCondition(job.if, scope, `${job.where} if`)) return base;
    if (job.permissions) base.permissions = evaluateToken(job.permissions, scope, `${job.where} permissions`);
    strategy = readStrategy(job, scope);
  } catch (error) {
    if (error instanceof WorkflowHarnessError) {
      recordFatal(state, error);
      return { ...base, result: 'failure', error: error.message };
    }
    return { ...base, result: 'failure', error: state.masker.mask((error as Error).message) };
  }
  base.strategy = {
    maxParallel: strategy.maxParallel,
    failFast: strategy.failFast,
    legCount: strategy.legs.length,
  };

  const legs: LegRunResult[] = new Array(strategy.legs.length);
  const failFast = new AbortController();
  let active = 0;
  let next = 0;
  const worker = async () => {
    while (next < strategy.legs.length) {
      const index = next++;
      const matrix = strategy.legs[index];
      if (failFast.signal.aborted || state.abort.signal.aborted) {
        legs[index] = cancelledLeg(job, index, matrix, failFast.signal.aborted);
        continue;
      }
      active++;
      base.maxObservedConcurrency = Math.max(base.maxObservedConcurrency, active);
      try {
        legs[index] = await runLeg(
          state,
          job,
          index,
          matrix,
          strategy,
          needs,
          ancestorResults,
          failFast.signal,
        );
      } finally {
        active--;
      }
      const leg = legs[index]!;
      if (leg.result === 'failure' && strategy.failFast) failFast.abort();
      for (const [key, value] of Object.entries(leg.outputs)) {
        if (state.masker.has(value)) {
          if (!base.skippedOutputs.includes(key)) base.skippedOutputs.push(key);
          continue;
        }
        base.outputs[key] = value;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(strategy.maxParallel, strategy.legs.length) }, worker));
  base.legs = legs;
  const statuses = legs.map((leg) => leg.result);
  base.result = statuses.includes('failure')
    ? 'failure'
    : statuses.includes('cancelled')
      ? 'cancelled'
      : 'success';
  return base;
}

function cancelledLeg(
  job: JobModel,
  index: number,
  matrix: MatrixLeg | undefined,
  byFailFast: boolean,
): LegRunResult {
  const now = Date.now();
  return {
    name: legName(job.id, matrix),
    index,
    ...(matrix ? { matrix } : {}),
    result: 'cancelled',
    timedOut: false,
    cancelledByFailFast: byFailFast,
    steps: [],
    outputs: {},
    summary: '',
    log: byFailFast ? 'cancelled by fail-fast before it started' : 'cancelled before it started',
    runsOn: null,
    workspace: '',
    startedAt: now,
    finishedAt: now,
  };
}

async function runLeg(
  state: RunState,
  job: JobModel,
  index: number,
  matrix: MatrixLeg | undefined,
  strategy: Strategy,
  needs: Record<string, NeedsEntry>,
  ancestorResults: JobStatus[],
  failFastSignal: AbortSignal,
): Promise<LegRunResult> {
  const { options } = state;
  const startedAt = Date.now();
  const name = legName(job.id, matrix);
  const slot = `${job.id}-${index}`;
  const runnerTemp = path.join(options.runnerTemp, slot);
  const workspace =
    options.checkout.mode === 'repo-root' ? options.repoRoot : path.join(options.workDir, 'workspaces', slot);
  const toolCache = path.join(options.workDir, 'tool-cache');
  // The runner empties RUNNER_TEMP for every job: a second run must not see the first run's files.
  await rm(runnerTemp, { recursive: true, force: true });
  await Promise.all([runnerTemp, workspace, toolCache].map((dir) => mkdir(dir, { recursive: true })));

  const cancel = new AbortController();
  let timedOut = false;
  let byFailFast = false;
  const onFailFast = () => {
    byFailFast = true;
    cancel.abort();
  };
  const onFatal = () => cancel.abort();
  failFastSignal.addEventListener('abort', onFailFast, { once: true });
  state.abort.signal.addEventListener('abort', onFatal, { once: true });
  const strategyContext = {
    'fail-fast': strategy.failFast,
    'job-index': index,
    'job-total': strategy.legs.length,
    'max-parallel': strategy.maxParallel,
  };
  const leg: LegContext = {
    state,
    job,
    name,
    matrix,
    strategy: strategyContext,
    needs,
    workspace,
    runnerTemp,
    toolCache,
    jobEnv: {},
    exportedEnv: {},
    prependPath: [],
    steps: {},
    status: 'success',
    isCancelled: () => cancel.signal.aborted,
    cancelSignal: cancel.signal,
    defaults: {},
    posts: [],
  };
  const steps: StepRunResult[] = [];
  let runsOn: unknown = null;
  let error: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  const scope = jobScope(state, job.id, needs, ancestorResults, {
    matrix: matrix ?? {},
    strategy: strategyContext,
    workspace,
  });
  try {
    runsOn = job.runsOn ? evaluateToken(job.runsOn, scope, `${job.where} runs-on`) : null;
    leg.jobEnv = evaluateStringMap(job.env, scope, `${job.where} env`);
    const minutesRaw = job.timeoutMinutes
      ? evaluateToken(job.timeoutMinutes, scope, `${job.where} timeout-minutes`)
      : DEFAULT_JOB_TIMEOUT_MINUTES;
    const minutes = typeof minutesRaw === 'string' ? Number(minutesRaw) : minutesRaw;
    if (typeof minutes !== 'number' || !(minutes > 0))
      throw new JobSetupError(
        `${job.where}: timeout-minutes must be positive, got ${JSON.stringify(minutesRaw)}`,
      );
    timer = setTimeout(() => {
      timedOut = true;
      cancel.abort();
    }, minutes * options.minuteMs);

    for (const step of job.steps) {
      if (state.abort.signal.aborted) break;
      const event = { jobId: job.id, leg: name, legIndex: index, stepId: step.id, stepName: step.id };
      await options.onStep?.({ phase: 'start', ...event });
      const result = await runStep(leg, step);
      steps.push(result);
      await options.onStep?.({ phase: 'end', ...event, stepName: result.name, result });
    }
    for (const post of [...leg.posts].reverse()) {
      if (state.abort.signal.aborted) break;
      steps.push(await runPostStep(leg, post));
    }
  } catch (caught) {
    if (caught instanceof WorkflowHarnessError) recordFatal(state, caught);
    error = state.masker.mask((caught as Error).message);
    leg.status = 'failure';
  } finally {
    if (timer) clearTimeout(timer);
    failFastSignal.removeEventListener('abort', onFailFast);
    state.abort.signal.removeEventListener('abort', onFatal);
  }

  let outputs: Record<string, string> = {};
  if (job.outputs && !state.abort.signal.aborted) {
    try {
      outputs = evaluateStringMap(job.outputs, stepScope(leg, '', envContext(leg)), `${job.where} outputs`);
    } catch (caught) {
      if (caught instanceof WorkflowHarnessError) recordFatal(state, caught);
      error ??= state.masker.mask((caught as Error).message);
      leg.status = 'failure';
    }
  }
  const result: JobStatus =
    leg.status === 'failure' ? 'failure' : cancel.signal.aborted ? 'cancelled' : 'success';
  return {
    name,
    index,
    ...(matrix ? { matrix } : {}),
    result: timedOut ? 'failure' : result,
    timedOut,
    cancelledByFailFast: byFailFast,
    steps,
    outputs,
    summary: steps
      .map((step) => step.summary)
      .filter(Boolean)
      .join('\n'),
    log: steps.map((step) => `--- ${step.name} (${step.conclusion})\n${step.log}`).join('\n'),
    runsOn,
    workspace,
    ...(error ? { error } : {}),
    startedAt,
    finishedAt: Date.now(),
  };
}
