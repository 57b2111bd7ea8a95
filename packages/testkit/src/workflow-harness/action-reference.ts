import { unsupported, WorkflowHarnessError } from './errors.js';

export type ActionReference =
  | { kind: 'local'; path: string; raw: string }
  | { kind: 'remote'; name: string; repo: string; ref: string; raw: string };

const PINNED = /^[0-9a-f]{40}$/;

/**
 * Classifies `uses:`. Remote actions must be pinned by a full commit SHA: a tag or branch can be moved under the
 * workflow by whoever controls the action's repository.
 */
export function parseActionReference(uses: string, where: string): ActionReference {
  if (uses.startsWith('docker://')) throw unsupported(`container actions (${uses})`, where);
  if (uses.startsWith('./') || uses === '.') return { kind: 'local', path: uses, raw: uses };
  const at = uses.lastIndexOf('@');
  if (at < 0) throw new WorkflowHarnessError(`${where}: '${uses}' has no @ref`);
  const name = uses.slice(0, at);
  const ref = uses.slice(at + 1);
  const segments = name.split('/');
  if (segments.length < 2 || segments.some((s) => s.length === 0)) {
    throw new WorkflowHarnessError(`${where}: '${uses}' is not owner/repo[/path]@ref`);
  }
  if (segments.length > 2 && segments.slice(2).join('/').endsWith('.yml')) {
    throw unsupported(`reusable workflow reference ${uses}`, where);
  }
  if (!PINNED.test(ref)) {
    throw new WorkflowHarnessError(
      `${where}: remote action '${uses}' is not pinned: use a full 40-hex commit SHA instead of '${ref}'`,
    );
  }
  return { kind: 'remote', name, repo: segments.slice(0, 2).join('/'), ref, raw: uses };
}
