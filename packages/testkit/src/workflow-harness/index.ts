export { runWorkflow } from './run-workflow.js';
export { runWorkflowOptionsSchema, type RunWorkflowOptions } from './options.js';
export { WorkflowHarnessError } from './errors.js';
export { parseFileCommand } from './file-commands.js';
export { expandMatrix } from './matrix.js';
export { inputEnvName } from './local-action.js';
export type * from './types.js';
export {
  checkWorkflowHardening,
  checkWorkflowHardeningText,
  type HardeningFinding,
  type HardeningRule,
} from './hardening.js';
