import { runCommand, type RunCommandResult } from '../util/run-command.js';
import { assertArgv } from './validate.js';
import { exportSandboxChanges } from './export-changes.js';
import type { SandboxHandle } from './handle.js';
import type {
  ExportedChanges,
  Sandbox,
  SandboxBackendName,
  SandboxRunOptions,
  WrapOptions,
  WrappedCommand,
} from './types.js';

export interface SandboxPaths {
  id: string;
  baseSha: string;
  /** `<workDir>/<id>`: everything the sandbox creates on the host lives below it. */
  rootDir: string;
  repoDir: string;
  scratchDir: string;
  /** ISO time the sandbox was created (kept across reattaching). */
  createdAt: string;
}

/** What every backend shares: running through `wrap`, exporting through git inside, refusing use after destroy. */
export abstract class SandboxBase implements Sandbox {
  abstract readonly backend: SandboxBackendName;
  abstract readonly isolated: boolean;
  readonly id: string;
  readonly baseSha: string;
  readonly rootDir: string;
  readonly repoDir: string;
  readonly scratchDir: string;
  readonly createdAt: string;
  protected destroyed = false;

  constructor(paths: SandboxPaths) {
    this.id = paths.id;
    this.baseSha = paths.baseSha;
    this.rootDir = paths.rootDir;
    this.repoDir = paths.repoDir;
    this.scratchDir = paths.scratchDir;
    this.createdAt = paths.createdAt;
  }

  protected abstract wrapArgv(argv: readonly string[], opts: WrapOptions): WrappedCommand;
  protected abstract removeAll(): Promise<void>;
  abstract handle(): SandboxHandle;

  /** What every handle shares; backends add their specifics. */
  protected commonHandle(baseRepo: string) {
    return {
      version: 1 as const,
      id: this.id,
      baseRepo,
      baseSha: this.baseSha,
      rootDir: this.rootDir,
      repoDir: this.repoDir,
      scratchDir: this.scratchDir,
      createdAt: this.createdAt,
    };
  }

  wrap(argv: readonly string[], opts: WrapOptions = {}): WrappedCommand {
    if (this.destroyed) throw new Error(`sandbox ${this.id} was destroyed`);
    assertArgv(argv);
    return this.wrapArgv(argv, opts);
  }

  async run(argv: readonly string[], opts: SandboxRunOptions = {}): Promise<RunCommandResult> {
    const { subdir, env, ...rest } = opts;
    const wrapped = this.wrap(argv, { subdir, env });
    return runCommand({ ...rest, argv: wrapped.argv, cwd: wrapped.cwd, env: wrapped.env });
  }

  async exportChanges(outDir: string): Promise<ExportedChanges> {
    if (this.destroyed) throw new Error(`sandbox ${this.id} was destroyed`);
    return exportSandboxChanges(this, outDir);
  }

  async destroy(): Promise<void> {
    this.destroyed = true;
    await this.removeAll();
  }
}
