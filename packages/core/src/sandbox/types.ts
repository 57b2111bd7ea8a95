import type { RunCommandOptions, RunCommandResult } from '../util/run-command.js';
import type { SandboxHandle } from './handle.js';
import type { SandboxManifest } from './manifest.js';

export type { SandboxManifest } from './manifest.js';

export type SandboxBackendName = 'agentfs' | 'overlay' | 'worktree';

export interface CreateSandboxOptions {
  /** A git repository (the pristine base); never modified by any backend. */
  baseRepo: string;
  /** Commit the sandbox starts from. */
  baseSha: string;
  /** Unique, filesystem- and ref-safe id (from the naming module). */
  id: string;
  /** Host directory under which the backend keeps its dirs (upper/work/merged, worktree, scratch); `sandbox.workDir` when absent. */
  workDir?: string;
  /**
   * HOME the sandboxed commands run with. AgentFS keeps its sessions and the writable dot-dirs
   * (~/.claude, ~/.cargo …) there, so it must be the same for every command of one sandbox. Default: os.homedir().
   */
  home?: string;
  /** Extra host directories commands may write to directly (e.g. a shared CARGO_TARGET_DIR); agentfs only. */
  allowPaths?: readonly string[];
  /** Where the backend choice and its caveats are reported (stderr by default). */
  log?: (message: string) => void;
  /**
   * The caller already checked that the base working tree is clean (e.g. preflight, once per job):
   * skip that O(tree) `git status`. HEAD, `.git` and ownership are still checked (constant time).
   */
  baseVerifiedClean?: boolean;
}

export interface WrapOptions {
  /** Repo-relative directory to run in (default: the repository root). */
  subdir?: string;
  /** Environment for the command (default: process.env); the backend adjusts it. */
  env?: NodeJS.ProcessEnv;
}

export interface WrappedCommand {
  argv: string[];
  cwd: string;
  /** The environment to spawn with (the caller's plus what the backend needs, minus what it must not leak). */
  env: NodeJS.ProcessEnv;
}

export interface ExportedChanges {
  patchFile: string;
  manifestFile: string;
  manifest: SandboxManifest;
}

export type SandboxRunOptions = Omit<RunCommandOptions, 'argv' | 'cwd'> & { subdir?: string };

export interface Sandbox {
  readonly id: string;
  readonly backend: SandboxBackendName;
  readonly baseSha: string;
  /** ISO time of creation (unchanged by reattaching). */
  readonly createdAt: string;
  /** `<workDir>/<id>` on the host: the sandbox's own dirs live below it. */
  readonly rootDir: string;
  /** False for the worktree fallback: commands can write anywhere, including the base repository. */
  readonly isolated: boolean;
  /** The repository as commands run through `wrap`/`run` see it (their cwd). Not necessarily visible from the host. */
  readonly repoDir: string;
  /** Host directory outside the repository for context files, tool outputs and transcripts; visible inside. */
  readonly scratchDir: string;
  /** What to spawn so that argv runs inside the sandbox with cwd = repoDir (or a subdir of it). */
  wrap(argv: readonly string[], opts?: WrapOptions): WrappedCommand;
  /** Runs argv inside the sandbox. Exit code 125 with a `panic-fix sandbox:` message means the sandbox could not be entered. */
  run(argv: readonly string[], opts?: SandboxRunOptions): Promise<RunCommandResult>;
  /** Binary-safe patch of everything changed against baseSha (pipeline scratch excluded) plus a manifest. */
  exportChanges(outDir: string): Promise<ExportedChanges>;
  /** Serializable description to reattach from another process with `openSandbox` (see handle.ts). */
  handle(): SandboxHandle;
  /** Removes every dir and mount the sandbox made; idempotent. */
  destroy(): Promise<void>;
}
