import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  convertWorkflowTemplate,
  NoOperationTraceWriter,
  parseWorkflow,
  type WorkflowTemplate,
} from '@actions/workflow-parser';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import type { BasicExpressionToken } from '@actions/workflow-parser/templates/tokens/basic-expression-token';
import type { MappingToken } from '@actions/workflow-parser/templates/tokens/mapping-token';
import { isActionStep, isJob, isRunStep } from '@actions/workflow-parser/model/type-guards';
import { unsupported, WorkflowHarnessError } from './errors.js';
import { parseActionReference, type ActionReference } from './action-reference.js';
import { describeToken, literalString, mappingEntries, sequenceItems } from './template-tokens.js';

export interface RunDefaults {
  shell?: TemplateToken;
  workingDirectory?: TemplateToken;
}

export interface StepModel {
  index: number;
  /** Explicit `id:` or the one GitHub generates (`__run`, `__actions_checkout_2`, …). */
  id: string;
  explicitId: boolean;
  name?: TemplateToken;
  if: BasicExpressionToken;
  env?: MappingToken;
  with?: TemplateToken;
  run?: TemplateToken;
  uses?: ActionReference;
  continueOnError?: boolean | TemplateToken;
  timeoutMinutes?: TemplateToken;
  workingDirectory?: TemplateToken;
  shell?: TemplateToken;
  where: string;
}

export interface JobModel {
  id: string;
  name?: TemplateToken;
  needs: string[];
  if: BasicExpressionToken;
  env?: MappingToken;
  outputs?: MappingToken;
  strategy?: TemplateToken;
  runsOn?: TemplateToken;
  timeoutMinutes?: TemplateToken;
  cancelTimeoutMinutes?: TemplateToken;
  permissions?: TemplateToken;
  concurrency?: TemplateToken;
  defaults: RunDefaults;
  steps: StepModel[];
  where: string;
}

export interface WorkflowModel {
  file: string;
  name?: string;
  events: WorkflowTemplate['events'];
  env?: MappingToken;
  defaults: RunDefaults;
  permissions?: TemplateToken;
  concurrency?: TemplateToken;
  jobs: JobModel[];
}

const WORKFLOW_KEYS = new Set([
  'name',
  'run-name',
  'on',
  'env',
  'defaults',
  'concurrency',
  'permissions',
  'jobs',
]);
const JOB_KEYS = new Set([
  'name',
  'needs',
  'if',
  'runs-on',
  'permissions',
  'env',
  'outputs',
  'strategy',
  'timeout-minutes',
  'cancel-timeout-minutes',
  'steps',
  'defaults',
  'concurrency',
]);
const STEP_KEYS = new Set([
  'id',
  'name',
  'if',
  'uses',
  'run',
  'env',
  'with',
  'continue-on-error',
  'timeout-minutes',
  'working-directory',
  'shell',
]);

/** Parses and validates with GitHub's own parser, then keeps what the converter drops (`with`, `shell`, …). */
export async function loadWorkflow(workflowPath: string): Promise<WorkflowModel> {
  const content = await readFile(workflowPath, 'utf8');
  const name = path.basename(workflowPath);
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  const parseErrors = parsed.context.errors.getErrors();
  if (parseErrors.length > 0 || !parsed.value) {
    throw new WorkflowHarnessError(
      `invalid workflow ${name}:\n${parseErrors.map((e) => `  ${e.message}`).join('\n')}`,
    );
  }
  const template = await convertWorkflowTemplate(parsed.context, parsed.value);
  const convertErrors = [...parsed.context.errors.getErrors(), ...(template.errors ?? [])];
  if (convertErrors.length > 0) {
    throw new WorkflowHarnessError(
      `invalid workflow ${name}:\n${convertErrors.map((e) => `  ${'message' in e ? e.message : e.Message}`).join('\n')}`,
    );
  }

  const root = new Map(mappingEntries(parsed.value, 'workflow'));
  for (const key of root.keys()) {
    if (!WORKFLOW_KEYS.has(key)) throw unsupported(`top-level key '${key}'`, name);
  }
  const rawJobs = new Map(mappingEntries(root.get('jobs')!, 'jobs'));
  const jobs = template.jobs.map((job) => {
    const id = job.id.value;
    const where = `job '${id}'`;
    if (!isJob(job)) throw unsupported('reusable workflows (jobs.<id>.uses)', where);
    const raw = new Map(mappingEntries(rawJobs.get(id)!, where));
    for (const key of raw.keys()) {
      if (!JOB_KEYS.has(key))
        throw unsupported(`job key '${key}'`, `${where} ${describeToken(raw.get(key))}`);
    }
    const rawSteps = raw.has('steps') ? sequenceItems(raw.get('steps')!, `${where} steps`) : [];
    if (rawSteps.length !== job.steps.length) {
      throw new WorkflowHarnessError(`${where}: converted ${job.steps.length} of ${rawSteps.length} steps`);
    }
    const steps = job.steps.map((step, index): StepModel => {
      const stepWhere = `${where} step ${index + 1} ${describeToken(rawSteps[index])}`.trim();
      const rawStep = new Map(mappingEntries(rawSteps[index]!, stepWhere));
      for (const key of rawStep.keys()) {
        if (!STEP_KEYS.has(key)) throw unsupported(`step key '${key}'`, stepWhere);
      }
      if (!isRunStep(step) && !isActionStep(step)) throw unsupported('steps other than run/uses', stepWhere);
      const model: StepModel = {
        index,
        id: step.id,
        explicitId: rawStep.has('id'),
        if: step.if,
        where: stepWhere,
        ...optional('name', rawStep.get('name')),
        ...optional('env', step.env),
        ...optional('with', rawStep.get('with')),
        ...optional('continueOnError', step['continue-on-error']),
        ...optional('timeoutMinutes', rawStep.get('timeout-minutes')),
        ...optional('workingDirectory', rawStep.get('working-directory')),
        ...optional('shell', rawStep.get('shell')),
      };
      if (isRunStep(step)) model.run = step.run;
      else model.uses = parseActionReference(step.uses.value, stepWhere);
      return model;
    });
    return {
      id,
      needs: (job.needs ?? []).map((need) => need.value),
      if: job.if,
      steps,
      where,
      defaults: readDefaults(raw.get('defaults'), where),
      ...optional('name', raw.get('name')),
      ...optional('env', job.env),
      ...optional('outputs', job.outputs),
      ...optional('strategy', job.strategy),
      ...optional('runsOn', job['runs-on']),
      ...optional('timeoutMinutes', raw.get('timeout-minutes')),
      ...optional('cancelTimeoutMinutes', raw.get('cancel-timeout-minutes')),
      ...optional('permissions', raw.get('permissions')),
      ...optional('concurrency', raw.get('concurrency')),
    } satisfies JobModel;
  });

  const nameToken = root.get('name');
  return {
    file: workflowPath,
    events: template.events,
    jobs,
    defaults: readDefaults(root.get('defaults'), name),
    ...(nameToken ? { name: literalString(nameToken, 'workflow name') } : {}),
    ...optional('env', template.env as MappingToken | undefined),
    ...optional('permissions', root.get('permissions')),
    ...optional('concurrency', root.get('concurrency')),
  };
}

function readDefaults(token: TemplateToken | undefined, where: string): RunDefaults {
  if (!token) return {};
  const defaults: RunDefaults = {};
  for (const [key, value] of mappingEntries(token, `${where} defaults`)) {
    if (key !== 'run') throw unsupported(`defaults.${key}`, where);
    for (const [runKey, runValue] of mappingEntries(value, `${where} defaults.run`)) {
      if (runKey === 'shell') defaults.shell = runValue;
      else if (runKey === 'working-directory') defaults.workingDirectory = runValue;
      else throw unsupported(`defaults.run.${runKey}`, where);
    }
  }
  return defaults;
}

/** `{ key: value }` when value is defined, so optional properties stay absent (exactOptionalPropertyTypes-safe). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
