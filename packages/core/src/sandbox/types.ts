import type { RunCommandOptions, RunCommandResult } from '../util/run-command.js';

export type SandboxBackendName = 'agentfs' | 'overlay' | 'worktree';

export interface CreateSandboxOptions {
  /** A git repository (the pristine base); never modified by any backend. */
  baseRepo: string;
  /** Commit the sandbox starts from. */
  baseSha: string;
  /** Unique, filesystem- and ref-safe id (from the naming module). */
  id: string;
  /** Host directory under which the backend keeps its dirs (upper/work/merged, worktree, scratch). */
  workDir: string;
}

export interface WrappedCommand {
  argv: string[];
  cwd: string;
}

export interface SandboxManifest {
  sandboxId: string;
  backend: SandboxBackendName;
  baseSha: string;
  patchBytes: number;
  filesChanged: number;
  createdAt: string;
}

export interface ExportedChanges {
  patchFile: string;
  manifestFile: string;
  manifest: SandboxManifest;
}

export interface Sandbox {
  readonly id: string;
  readonly backend: SandboxBackendName;
  readonly baseSha: string;
  /** The repository as commands run through `wrap`/`run` see it (their cwd). */
  readonly repoDir: string;
  /** Host directory outside the repository for context files, tool outputs and transcripts; visible inside. */
  readonly scratchDir: string;
  /** What to spawn so that argv runs inside the sandbox with cwd = repoDir (or a subdir of it). */
  wrap(argv: readonly string[], opts?: { subdir?: string }): WrappedCommand;
  /** Runs argv inside the sandbox. */
  run(argv: readonly string[], opts?: Omit<RunCommandOptions, 'argv' | 'cwd'> & { subdir?: string }): Promise<RunCommandResult>;
  /** Binary-safe patch of everything changed against baseSha (pipeline scratch excluded) plus a manifest. */
  exportChanges(outDir: string): Promise<ExportedChanges>;
  /** Removes every dir and mount the sandbox made; idempotent. */
  destroy(): Promise<void>;
}
