import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { NoOperationTraceWriter } from '@actions/workflow-parser';
import {
  convertActionTemplate,
  parseAction,
  type ActionTemplate,
} from '@actions/workflow-parser/actions/index';
import type { ScalarToken } from '@actions/workflow-parser/templates/tokens/scalar-token';
import { z } from 'zod';
import { unsupported, WorkflowHarnessError } from './errors.js';

export interface LocalNodeAction {
  dir: string;
  name: string;
  main: string;
  post?: string;
  postIf?: string;
  inputs: Array<{ id: string; required: boolean; default?: ScalarToken }>;
}

const nodeRunsSchema = z.object({
  using: z.enum(['node20', 'node24']),
  main: z.string().min(1),
  pre: z.undefined({ error: 'runs.pre is not run for local actions by GitHub; the harness refuses it' }),
  post: z.string().min(1).optional(),
  postIf: z.string().min(1).optional(),
});

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** Reads `action.yml` with GitHub's action parser; only JavaScript actions on node20/node24 are emulated. */
export async function loadLocalAction(
  root: string,
  relative: string,
  where: string,
): Promise<LocalNodeAction> {
  const dir = path.resolve(root, relative);
  if (dir !== root && !dir.startsWith(root + path.sep)) {
    throw new WorkflowHarnessError(`${where}: local action '${relative}' escapes the workspace`);
  }
  let file: string | undefined;
  for (const candidate of ['action.yml', 'action.yaml']) {
    if (await exists(path.join(dir, candidate))) {
      file = path.join(dir, candidate);
      break;
    }
  }
  if (!file) {
    throw new WorkflowHarnessError(
      `${where}: can't find 'action.yml' or 'action.yaml' under '${dir}' (did you forget to run actions/checkout?)`,
    );
  }
  const parsed = parseAction(
    { name: file, content: await readFile(file, 'utf8') },
    new NoOperationTraceWriter(),
  );
  const template: Partial<ActionTemplate> = parsed.value
    ? convertActionTemplate(parsed.context, parsed.value)
    : {};
  const errors = parsed.context.errors.getErrors();
  if (errors.length > 0 || !template.runs) {
    throw new WorkflowHarnessError(
      `${where}: invalid ${file}:\n${errors.map((e) => `  ${e.message}`).join('\n')}`,
    );
  }
  const runs = template.runs;
  if (runs.using === 'composite') throw unsupported('composite actions', `${where} ${relative}`);
  if (runs.using === 'docker') throw unsupported('docker actions', `${where} ${relative}`);
  const checked = nodeRunsSchema.safeParse(runs);
  if (!checked.success) {
    throw new WorkflowHarnessError(
      `${where}: ${file}: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const main = path.resolve(dir, checked.data.main);
  if (!(await exists(main)))
    throw new WorkflowHarnessError(`${where}: ${file}: runs.main '${checked.data.main}' does not exist`);
  return {
    dir,
    name: template.name ?? relative,
    main,
    ...(checked.data.post ? { post: path.resolve(dir, checked.data.post) } : {}),
    ...(checked.data.postIf ? { postIf: checked.data.postIf } : {}),
    inputs: (template.inputs ?? []).map((input) => ({
      id: input.id,
      required: input.required ?? false,
      ...(input.default ? { default: input.default } : {}),
    })),
  };
}

/** The runner's input variable name: uppercased, spaces to underscores (dashes kept). */
export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}
