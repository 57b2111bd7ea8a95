export * from './types.js';
export * from './manifest.js';
export * from './create.js';
export * from './detect.js';
export {
  sandboxHandleSchema,
  parseSandboxHandle,
  saveSandboxHandle,
  loadSandboxHandle,
  type SandboxHandle,
  type OverlayHandle,
  type WorktreeHandle,
  type AgentfsHandle,
} from './handle.js';
export { EXPORT_EXCLUDES, EXPORT_PATHSPEC, changedFiles, changedPaths } from './export-changes.js';
export { WORKTREE_NO_ISOLATION } from './worktree.js';
export { listMountPoints } from './mounts.js';
export { settleRemovals } from './remove-tree.js';
