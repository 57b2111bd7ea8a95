import { mkdir, realpath } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { SandboxConfig } from '../config/schema.js';
import { AgentfsSandbox } from './agentfs.js';
import { resolveBaseRepo } from './base-repo.js';
import { detectBackend, type BackendDetection } from './detect.js';
import { parseSandboxHandle, type SandboxHandle } from './handle.js';
import { OverlaySandbox } from './overlay.js';
import { removeLeftoverTrees } from './remove-tree.js';
import type { CreateSandboxOptions, Sandbox } from './types.js';
import { assertSandboxId, isInside } from './validate.js';
import { WORKTREE_NO_ISOLATION, WorktreeSandbox } from './worktree.js';

export interface CreateSandboxExtras {
  /** A detection made earlier (detect once per job, not once per panic); used when the backend is `auto`. */
  detection?: BackendDetection;
}

const defaultLog = (message: string) => process.stderr.write(`${message}\n`);

/**
 * Creates the sandbox `<workDir>/<id>` over baseRepo at baseSha with the configured backend (`auto`
 * detects one). Leftovers of a crashed earlier sandbox with the same id are removed first.
 */
export async function createSandbox(
  config: SandboxConfig,
  options: CreateSandboxOptions & CreateSandboxExtras,
): Promise<Sandbox> {
  const log = options.log ?? defaultLog;
  assertSandboxId(options.id);
  const requestedWorkDir = options.workDir ?? config.workDir;
  if (!requestedWorkDir) throw new Error('sandbox: no work directory (set sandbox.workDir or pass workDir)');
  await mkdir(requestedWorkDir, { recursive: true });
  const workDir = await realpath(requestedWorkDir);
  await removeLeftoverTrees(workDir);
  const base = await resolveBaseRepo(options.baseRepo, options.baseSha);
  const rootDir = path.join(workDir, options.id);
  if (isInside(rootDir, base.dir) || isInside(base.dir, rootDir)) {
    throw new Error(
      `sandbox: the work directory ${workDir} and the base repository ${base.dir} must not contain each other`,
    );
  }
  const home = path.resolve(options.home ?? os.homedir());
  const detection =
    config.backend === 'auto' && options.detection
      ? options.detection
      : await detectBackend(config, { workDir, home });
  log(`sandbox ${options.id}: backend ${detection.backend} (${detection.reason})`);
  if (!detection.isolated) log(`sandbox ${options.id}: WARNING: ${WORKTREE_NO_ISOLATION}`);

  switch (detection.backend) {
    case 'overlay':
      return OverlaySandbox.create(base, options.id, rootDir, {
        checkClean: options.baseVerifiedClean !== true,
      });
    case 'worktree':
      return WorktreeSandbox.create(base, options.id, rootDir);
    case 'agentfs':
      return AgentfsSandbox.create(base, options.id, rootDir, {
        agentfsPath: config.agentfsPath,
        home,
        checkClean: options.baseVerifiedClean !== true,
        ...(options.allowPaths ? { allowPaths: options.allowPaths } : {}),
      });
  }
}

/**
 * Reattaches to a sandbox another process created (from `sandbox.handle()` or `loadSandboxHandle`):
 * same upper dir (overlay), same worktree, or same agentfs session. `config` may only confirm the
 * backend (a different configured backend is an error) and, for agentfs, supply the binary path.
 */
export async function openSandbox(handle: SandboxHandle | unknown, config?: SandboxConfig): Promise<Sandbox> {
  const parsed = parseSandboxHandle(handle);
  if (config && config.backend !== 'auto' && config.backend !== parsed.backend) {
    throw new Error(
      `sandbox ${parsed.id} was created with the ${parsed.backend} backend but sandbox.backend is ${config.backend}`,
    );
  }
  switch (parsed.backend) {
    case 'overlay':
      return OverlaySandbox.open(parsed);
    case 'worktree':
      return WorktreeSandbox.open(parsed);
    case 'agentfs':
      return AgentfsSandbox.open(parsed, config?.agentfsPath);
  }
}
