/**
 * Thrown for anything the harness does not emulate (or a workflow GitHub itself would reject before running).
 * Silent approximation would let a test pass against behaviour GitHub does not have, so these never become a
 * job result: `runWorkflow` rejects with them.
 */
export class WorkflowHarnessError extends Error {
  override readonly name = 'WorkflowHarnessError';
}

export function unsupported(what: string, where: string): WorkflowHarnessError {
  return new WorkflowHarnessError(`unsupported by the workflow harness: ${what} (${where})`);
}

/** A failure GitHub would report inside the run (bad matrix, failed expression): it fails the job, not the harness. */
export class JobSetupError extends Error {
  override readonly name = 'JobSetupError';
}
