import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isString } from '@actions/workflow-parser';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import { WorkflowHarnessError, unsupported } from './errors.js';
import { plainToString } from './expression-data.js';
import {
  evaluateCondition,
  evaluateExpression,
  evaluateToken,
  type EvaluationScope,
} from './expression-evaluator.js';
import { parseFileCommand } from './file-commands.js';
import { envContext, stepScope, type LegContext, type PostStep } from './leg-context.js';
import { inputEnvName, loadLocalAction, type LocalNodeAction } from './local-action.js';
import { runStepProcess } from './process.js';
import { recordFatal, runnerDefinedEnv } from './run-state.js';
import type { ActionContext, StepRunResult, StepStatus } from './types.js';
import { CommandProcessor } from './workflow-commands.js';
import type { StepModel } from './workflow-model.js';

/** What a step body reports back; the caller turns it into outcome/conclusion. */
interface StepExecution {
  ok: boolean;
  outputs: Record<string, string>;
  exitCode?: number | null;
  timedOut: boolean;
  /** Killed because the job was cancelled. */
  cancelled?: boolean;
  error?: string;
}

interface StepFiles {
  dir: string;
  output: string;
  env: string;
  path: string;
  state: string;
  summary: string;
}

const MINUTE_DEFAULT_STEP_TIMEOUT = 360;

/** Evaluates a mapping token (env:, with:) to string values, keys kept as written. */
export function evaluateStringMap(
  token: TemplateToken | undefined,
  scope: EvaluationScope,
  where: string,
): Record<string, string> {
  if (!token) return {};
  const value = evaluateToken(token, scope, where);
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`${where}: expected a mapping, got ${JSON.stringify(value)}`);
  }
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>))
    out[key] = plainToString(v, `${where}.${key}`);
  return out;
}

function positiveMinutes(value: unknown, where: string): number {
  const n = typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) {
    throw new Error(`${where}: timeout-minutes must be a positive number, got ${JSON.stringify(value)}`);
  }
  return n;
}

async function makeStepFiles(leg: LegContext): Promise<StepFiles> {
  const dir = path.join(leg.runnerTemp, '_runner_file_commands', randomUUID());
  await mkdir(dir, { recursive: true });
  const files = {
    dir,
    output: path.join(dir, 'set_output'),
    env: path.join(dir, 'set_env'),
    path: path.join(dir, 'add_path'),
    state: path.join(dir, 'save_state'),
    summary: path.join(dir, 'step_summary'),
  };
  await Promise.all(
    [files.output, files.env, files.path, files.state, files.summary].map((f) => writeFile(f, '')),
  );
  return files;
}

/** The environment a step process sees, in the runner's precedence order. */
function processEnv(
  leg: LegContext,
  action: string,
  stepEnv: Record<string, string>,
  files: StepFiles,
  extra: Record<string, string>,
): Record<string, string> {
  const { state } = leg;
  const env: Record<string, string> = {
    ...state.machineEnv,
    ...runnerDefinedEnv(state, {
      job: leg.job.id,
      action,
      workspace: leg.workspace,
      runnerTemp: leg.runnerTemp,
      toolCache: leg.toolCache,
    }),
    ...envContext(leg, stepEnv),
    ...extra,
    GITHUB_OUTPUT: files.output,
    GITHUB_ENV: files.env,
    GITHUB_PATH: files.path,
    GITHUB_STATE: files.state,
    GITHUB_STEP_SUMMARY: files.summary,
  };
  if (leg.prependPath.length > 0) {
    env.PATH = [...[...leg.prependPath].reverse(), env.PATH ?? ''].filter(Boolean).join(path.delimiter);
  }
  return env;
}

/** Reads the file commands a step wrote and applies GITHUB_ENV / GITHUB_PATH to the leg. */
async function collectFileCommands(
  leg: LegContext,
  files: StepFiles,
): Promise<{ outputs: Record<string, string>; state: Record<string, string>; summary: string }> {
  const read = (file: string) => readFile(file, 'utf8');
  const outputs = Object.fromEntries(parseFileCommand(await read(files.output), 'GITHUB_OUTPUT'));
  for (const [name, value] of parseFileCommand(await read(files.env), 'GITHUB_ENV')) {
    // The runner refuses NODE_OPTIONS from GITHUB_ENV: it would inject code into every later node action.
    if (name === 'NODE_OPTIONS')
      throw new Error("Can't store NODE_OPTIONS output parameter using '$GITHUB_ENV' command.");
    leg.exportedEnv[name] = value;
  }
  for (const line of (await read(files.path)).split(/\r?\n/))
    if (line.trim()) leg.prependPath.push(line.trim());
  const state = Object.fromEntries(parseFileCommand(await read(files.state), 'GITHUB_STATE'));
  const summary = leg.state.masker.mask(await read(files.summary));
  return { outputs, state, summary };
}

function stepName(step: StepModel, scope: EvaluationScope): string {
  if (step.name) {
    try {
      return plainToString(evaluateToken(step.name, scope, `${step.where} name`), 'name');
    } catch {
      // GitHub falls back to the default name when the name expression fails.
    }
  }
  if (step.uses) return `Run ${step.uses.raw}`;
  if (step.run && isString(step.run)) return `Run ${step.run.value.split('\n')[0] ?? ''}`.trim();
  return `Run step ${step.index + 1}`;
}

function shellArgv(shell: string | undefined, script: string, where: string): string[] {
  switch (shell) {
    case undefined:
      return ['bash', '-e', script];
    case 'bash':
      return ['bash', '--noprofile', '--norc', '-eo', 'pipefail', script];
    case 'sh':
      return ['sh', '-e', script];
    default:
      throw unsupported(`shell '${shell}'`, where);
  }
}

interface RunningStep {
  processor: CommandProcessor;
  files: StepFiles;
  signal: AbortSignal;
  timeoutMs?: number;
}

/** Spawns a step process and applies its file commands. */
async function runProcess(
  leg: LegContext,
  running: RunningStep,
  argv: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<StepExecution & { state: Record<string, string>; summary: string }> {
  let commandError: string | undefined;
  const result = await runStepProcess({
    argv,
    cwd,
    env,
    signal: running.signal,
    ...(running.timeoutMs !== undefined ? { timeoutMs: running.timeoutMs } : {}),
    onLine: (line) => {
      const error = running.processor.line(line);
      if (error) commandError ??= error;
    },
  });
  let files;
  try {
    files = await collectFileCommands(leg, running.files);
  } catch (error) {
    return {
      ok: false,
      outputs: {},
      state: {},
      summary: '',
      timedOut: result.timedOut,
      error: (error as Error).message,
    };
  }
  const error =
    commandError ??
    result.spawnError ??
    (result.timedOut
      ? 'the step timed out (timeout-minutes)'
      : result.aborted
        ? 'the step was cancelled'
        : result.exitCode === 0
          ? undefined
          : `Process completed with exit code ${result.exitCode ?? 'null'}${result.signal ? ` (${result.signal})` : ''}.`);
  return {
    ok: error === undefined,
    outputs: files.outputs,
    state: files.state,
    summary: files.summary,
    exitCode: result.exitCode,
    timedOut: result.timedOut,
    cancelled: result.aborted && !result.timedOut,
    ...(error ? { error } : {}),
  };
}

/** A step killed by the job's cancellation is `cancelled` (not failed), as on GitHub. */
function statusOf(exec: StepExecution): StepStatus {
  return exec.ok ? 'success' : exec.cancelled ? 'cancelled' : 'failure';
}

function nodeActionEnv(action: LocalNodeAction, inputs: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { GITHUB_ACTION_PATH: action.dir };
  for (const [name, value] of Object.entries(inputs)) env[inputEnvName(name)] = value;
  return env;
}

/** Declared inputs with their defaults, then the `with:` values; strictness catches wiring mistakes. */
function resolveActionInputs(
  leg: LegContext,
  action: LocalNodeAction,
  given: Record<string, string>,
  scope: EvaluationScope,
  where: string,
): Record<string, string> {
  const declared = new Map(action.inputs.map((input) => [input.id.toLowerCase(), input]));
  const unexpected = Object.keys(given).filter((name) => !declared.has(name.toLowerCase()));
  if (unexpected.length > 0 && leg.state.options.strictActionInputs) {
    throw new Error(
      `Unexpected input(s) '${unexpected.join("', '")}', valid inputs are ['${action.inputs.map((i) => i.id).join("', '")}']`,
    );
  }
  const out: Record<string, string> = {};
  for (const input of action.inputs) {
    const key = Object.keys(given).find((name) => name.toLowerCase() === input.id.toLowerCase());
    if (key !== undefined) out[input.id] = given[key]!;
    else if (input.default)
      out[input.id] = plainToString(
        evaluateToken(input.default, scope, `${where} default of ${input.id}`),
        input.id,
      );
    else if (input.required && leg.state.options.strictActionInputs) {
      throw new Error(`Input required and not supplied: ${input.id}`);
    }
  }
  for (const name of unexpected) out[name] = given[name]!;
  return out;
}

function actionContext(
  leg: LegContext,
  name: string,
  ref: string,
  inputs: Record<string, string>,
  env: Record<string, string>,
  processor: CommandProcessor,
  outputs: Record<string, string>,
  summary: string[],
  signal: AbortSignal,
): ActionContext {
  const { state } = leg;
  return {
    action: name,
    ref,
    inputs,
    getInput: (input, options) => {
      const value = (inputs[input] ?? '').trim();
      if (options?.required && value === '') throw new Error(`Input required and not supplied: ${input}`);
      return value;
    },
    setOutput: (key, value) => {
      outputs[key] = value;
    },
    exportVariable: (key, value) => {
      leg.exportedEnv[key] = value;
    },
    addPath: (dir) => {
      leg.prependPath.push(dir);
    },
    appendSummary: (markdown) => {
      summary.push(markdown);
    },
    setSecret: (value) => state.masker.add(value),
    log: (line) => processor.note(line),
    env,
    workspace: leg.workspace,
    runnerTemp: leg.runnerTemp,
    repoRoot: state.options.repoRoot,
    workDir: state.options.workDir,
    artifactsDir: state.options.artifactsDir,
    jobId: leg.job.id,
    ...(leg.matrix ? { matrix: leg.matrix } : {}),
    signal,
  };
}

/** Runs one main step; returns its result and updates `steps.<id>`. */
export async function runStep(leg: LegContext, step: StepModel): Promise<StepRunResult> {
  const { state } = leg;
  const started = Date.now();
  const actionName = step.id;
  const baseScope = stepScope(leg, actionName, envContext(leg));
  const name = stepName(step, baseScope);
  const processor = new CommandProcessor(state.masker);
  const kind = step.uses ? 'uses' : 'run';
  const finish = (
    status: StepStatus,
    exec: Partial<StepExecution> & { summary?: string },
    continueOnError = false,
  ) => {
    const conclusion: StepStatus = status === 'failure' && continueOnError ? 'success' : status;
    if (exec.error) processor.note(`##[error]${exec.error}`);
    const result: StepRunResult = {
      id: step.id,
      name,
      kind,
      ...(step.uses ? { uses: step.uses.raw } : {}),
      outcome: status,
      conclusion,
      outputs: exec.outputs ?? {},
      log: processor.log(),
      commands: processor.commands,
      summary: exec.summary ?? '',
      ...(exec.exitCode !== undefined ? { exitCode: exec.exitCode } : {}),
      timedOut: exec.timedOut ?? false,
      ...(exec.error ? { error: state.masker.mask(exec.error) } : {}),
      durationMs: Date.now() - started,
    };
    leg.steps[step.id] = { outputs: result.outputs, outcome: status, conclusion };
    if (conclusion === 'failure') leg.status = 'failure';
    return result;
  };

  let runIt: boolean;
  try {
    runIt = evaluateCondition(step.if, baseScope, `${step.where} if`);
  } catch (error) {
    if (error instanceof WorkflowHarnessError) throw error;
    return finish('failure', { error: (error as Error).message });
  }
  if (!runIt) return finish('skipped', {});

  // A step that starts after the job was cancelled (an `always()` step) is not killed by that cancellation.
  const signal = leg.isCancelled() ? state.abort.signal : leg.cancelSignal;
  let continueOnError = false;
  try {
    continueOnError = evaluateBoolean(step.continueOnError, baseScope, `${step.where} continue-on-error`);
    const stepEnv = evaluateStringMap(step.env, baseScope, `${step.where} env`);
    const scope = stepScope(leg, actionName, envContext(leg, stepEnv));
    const timeoutMinutes = step.timeoutMinutes
      ? positiveMinutes(
          evaluateToken(step.timeoutMinutes, scope, `${step.where} timeout-minutes`),
          step.where,
        )
      : MINUTE_DEFAULT_STEP_TIMEOUT;
    const files = await makeStepFiles(leg);
    const running: RunningStep = {
      processor,
      files,
      signal,
      timeoutMs: timeoutMinutes * state.options.minuteMs,
    };

    if (step.run) {
      const script = plainToString(evaluateToken(step.run, scope, `${step.where} run`), 'run');
      const shellToken = step.shell ?? leg.job.defaults.shell ?? state.model.defaults.shell;
      const shell = shellToken
        ? plainToString(evaluateToken(shellToken, scope, `${step.where} shell`), 'shell')
        : undefined;
      const dirToken =
        step.workingDirectory ?? leg.job.defaults.workingDirectory ?? state.model.defaults.workingDirectory;
      const cwd = dirToken
        ? path.resolve(
            leg.workspace,
            plainToString(
              evaluateToken(dirToken, scope, `${step.where} working-directory`),
              'working-directory',
            ),
          )
        : leg.workspace;
      const scriptFile = path.join(files.dir, 'script.sh');
      await writeFile(scriptFile, script);
      const exec = await runProcess(
        leg,
        running,
        shellArgv(shell, scriptFile, step.where),
        cwd,
        processEnv(leg, actionName, stepEnv, files, {}),
      );
      return finish(statusOf(exec), exec, continueOnError);
    }

    const uses = step.uses!;
    if (step.shell || step.workingDirectory)
      throw unsupported('shell/working-directory on a uses step', step.where);
    const given = evaluateStringMap(step.with, scope, `${step.where} with`);
    if (uses.kind === 'local') {
      const action = await loadLocalAction(leg.workspace, uses.path, step.where);
      const inputs = resolveActionInputs(leg, action, given, scope, step.where);
      const extra = nodeActionEnv(action, inputs);
      const env = processEnv(leg, actionName, stepEnv, files, extra);
      const exec = await runProcess(leg, running, [process.execPath, action.main], leg.workspace, env);
      if (action.post) {
        leg.posts.push({
          id: step.id,
          name: `Post ${name}`,
          uses: uses.raw,
          action,
          post: action.post,
          postIf: action.postIf ?? 'always()',
          inputEnv: extra,
          stepEnv,
          state: exec.state,
        });
      }
      return finish(statusOf(exec), exec, continueOnError);
    }

    const overrides = state.options.actionOverrides;
    const implementation = overrides[uses.name] ?? overrides[uses.repo] ?? state.remoteActions[uses.name];
    if (!implementation) throw unsupported(`remote action ${uses.raw}`, step.where);
    const outputs: Record<string, string> = {};
    const summary: string[] = [];
    const env = processEnv(leg, actionName, stepEnv, files, {});
    try {
      await implementation(
        actionContext(leg, uses.name, uses.ref, given, env, processor, outputs, summary, signal),
      );
    } catch (error) {
      if (error instanceof WorkflowHarnessError) throw error;
      return finish(
        'failure',
        { outputs, summary: state.masker.mask(summary.join('')), error: (error as Error).message },
        continueOnError,
      );
    }
    return finish('success', { outputs, summary: state.masker.mask(summary.join('')) }, continueOnError);
  } catch (error) {
    if (error instanceof WorkflowHarnessError) {
      recordFatal(state, error);
      throw error;
    }
    return finish('failure', { error: (error as Error).message }, continueOnError);
  }
}

function evaluateBoolean(
  token: boolean | TemplateToken | undefined,
  scope: EvaluationScope,
  where: string,
): boolean {
  if (token === undefined) return false;
  if (typeof token === 'boolean') return token;
  const value = evaluateToken(token, scope, where);
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false' || value === '' || value === null) return false;
  throw new Error(`${where}: expected a boolean, got ${JSON.stringify(value)}`);
}

/** Runs a `post:` script of a local node action (in reverse order after the main steps, like the runner). */
export async function runPostStep(leg: LegContext, post: PostStep): Promise<StepRunResult> {
  const { state } = leg;
  const started = Date.now();
  const processor = new CommandProcessor(state.masker);
  const scope = stepScope(leg, post.id, envContext(leg, post.stepEnv));
  const condition = post.postIf.replace(/^\s*\$\{\{([\s\S]*)\}\}\s*$/, '$1').trim();
  const base = {
    id: post.id,
    name: post.name,
    kind: 'post' as const,
    uses: post.uses,
    commands: processor.commands,
  };
  let run: boolean;
  try {
    const value = evaluateExpression(condition, scope, `${post.name} post-if`);
    run = value.coerceString() !== '' && value.coerceString() !== 'false' && value.coerceString() !== '0';
  } catch (error) {
    if (error instanceof WorkflowHarnessError) throw error;
    run = false;
    processor.note(`##[error]${(error as Error).message}`);
  }
  if (!run) {
    return {
      ...base,
      outcome: 'skipped',
      conclusion: 'skipped',
      outputs: {},
      log: processor.log(),
      summary: '',
      timedOut: false,
      durationMs: 0,
    };
  }
  const files = await makeStepFiles(leg);
  const stateEnv = Object.fromEntries(Object.entries(post.state).map(([k, v]) => [`STATE_${k}`, v]));
  const env = processEnv(leg, post.id, post.stepEnv, files, { ...post.inputEnv, ...stateEnv });
  const exec = await runProcess(
    leg,
    {
      processor,
      files,
      signal: state.abort.signal,
      timeoutMs: MINUTE_DEFAULT_STEP_TIMEOUT * state.options.minuteMs,
    },
    [process.execPath, post.post],
    leg.workspace,
    env,
  );
  if (exec.error) processor.note(`##[error]${exec.error}`);
  const status = statusOf(exec);
  if (status === 'failure') leg.status = 'failure';
  return {
    ...base,
    outcome: status,
    conclusion: status,
    outputs: {},
    log: processor.log(),
    summary: exec.summary,
    ...(exec.exitCode !== undefined ? { exitCode: exec.exitCode } : {}),
    timedOut: exec.timedOut,
    ...(exec.error ? { error: state.masker.mask(exec.error) } : {}),
    durationMs: Date.now() - started,
  };
}
