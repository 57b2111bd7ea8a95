import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from '../util/run-command.js';
import { assertBaseUsableAsLowerLayer, resolveBaseRepo, type BaseRepo } from './base-repo.js';
import { assertDirsExist, type AgentfsHandle } from './handle.js';
import { isMountPoint } from './mounts.js';
import { removeTree, removeTreeInBackground } from './remove-tree.js';
import { SandboxBase, type SandboxPaths } from './sandbox-base.js';
import type { WrapOptions, WrappedCommand } from './types.js';
import { assertArgv, isInside, normalizeSubdir } from './validate.js';

/** AgentFS has no --cwd: the copy-on-write root is the cwd, so the wrapper changes directory itself. */
export const AGENTFS_CD_SCRIPT =
  'cd "$1" || { echo "panic-fix sandbox: no directory $1 in the sandbox" >&2; exit 125; }; shift; exec "$@"';

/** Encryption settings agentfs reads from the environment; they must not reach the sandboxed program. */
export const AGENTFS_SECRET_VARS = ['AGENTFS_KEY', 'AGENTFS_CIPHER'] as const;

export function agentfsSessionDir(home: string, sessionId: string): string {
  return path.join(home, '.agentfs', 'run', sessionId);
}

/** Paths written directly on the host (not in the delta): tool caches, /tmp, the scratch dir, extras. */
export function agentfsAllowedPaths(
  home: string,
  scratchDir: string,
  extra: readonly string[] = [],
): string[] {
  const paths = [
    path.join(home, '.claude'),
    path.join(home, '.claude.json'),
    path.join(home, '.npm'),
    path.join(home, '.cache'),
    path.join(home, '.cargo'),
    '/tmp',
    scratchDir,
    ...extra.map((p) => path.resolve(p)),
  ];
  return [...new Set(paths)];
}

export interface AgentfsRunSpec {
  agentfsPath: string;
  sessionId: string;
  allowPaths: readonly string[];
  baseDir: string;
  home: string;
}

/** The exact spawn for one command in the session: argv, cwd (the CoW root) and environment. */
export function agentfsCommand(
  spec: AgentfsRunSpec,
  argv: readonly string[],
  opts: WrapOptions,
): WrappedCommand {
  assertArgv(argv);
  const env: NodeJS.ProcessEnv = { ...(opts.env ?? process.env) };
  for (const name of AGENTFS_SECRET_VARS) delete env[name];
  // The inherited HOME is simply replaced; an explicit one that differs is a caller bug worth stopping.
  if (env.HOME === undefined || opts.env === undefined) env.HOME = spec.home;
  else if (path.resolve(env.HOME) !== spec.home) {
    throw new Error(
      `agentfs sandbox ${spec.sessionId} was created for HOME=${spec.home} (its session and allowed dot-dirs live there) but the command's HOME is ${env.HOME}`,
    );
  }
  return {
    argv: [
      spec.agentfsPath,
      'run',
      '--session',
      spec.sessionId,
      '--no-default-allows',
      ...spec.allowPaths.flatMap((p) => ['--allow', p]),
      '--',
      'bash',
      '-c',
      AGENTFS_CD_SCRIPT,
      'panic-fix-sandbox',
      normalizeSubdir(opts.subdir),
      ...argv,
    ],
    cwd: spec.baseDir,
    env,
  };
}

/** Unmounts a session's FUSE mount if a crashed run left it, then deletes the session (its delta). */
export async function removeAgentfsSession(home: string, sessionId: string): Promise<void> {
  const sessionDir = agentfsSessionDir(home, sessionId);
  const mnt = path.join(sessionDir, 'mnt');
  if (await isMountPoint(mnt)) {
    const fuse = await runCommand({ argv: ['fusermount3', '-uz', mnt], cwd: '/', timeoutMs: 30_000 });
    if (fuse.exitCode !== 0 && (await isMountPoint(mnt))) {
      await runCommand({ argv: ['umount', '-l', mnt], cwd: '/', timeoutMs: 30_000 });
    }
    if (await isMountPoint(mnt))
      throw new Error(`cannot unmount the agentfs session mount ${mnt}: ${fuse.stderrTail.trim()}`);
  }
  await removeTree(sessionDir);
}

/** Missing --allow targets make `agentfs run` fail, so they are created up front. */
async function ensureAllowedPathsExist(paths: readonly string[], home: string): Promise<void> {
  for (const p of paths) {
    if (p === path.join(home, '.claude.json')) {
      await mkdir(path.dirname(p), { recursive: true });
      await writeFile(p, '{}\n', { flag: 'wx' }).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
    } else {
      await mkdir(p, { recursive: true });
    }
  }
}

/**
 * AgentFS session (FUSE overlay of the base's working tree, in a user+mount namespace). The base
 * repo path is the repoDir: inside the session it shows the copy-on-write view.
 */
export class AgentfsSandbox extends SandboxBase {
  readonly backend = 'agentfs' as const;
  readonly isolated = true;
  readonly spec: AgentfsRunSpec;

  private constructor(paths: SandboxPaths, spec: AgentfsRunSpec) {
    super(paths);
    this.spec = spec;
  }

  static async create(
    base: BaseRepo,
    id: string,
    rootDir: string,
    opts: { agentfsPath: string; home: string; allowPaths?: readonly string[]; checkClean?: boolean },
  ): Promise<AgentfsSandbox> {
    await assertBaseUsableAsLowerLayer(base, 'agentfs', { checkClean: opts.checkClean });
    const home = path.resolve(opts.home);
    const scratchDir = path.join(rootDir, 'scratch');
    const allowPaths = agentfsAllowedPaths(home, scratchDir, opts.allowPaths);
    const inside = allowPaths.filter((p) => isInside(p, base.dir));
    if (inside.length > 0) {
      throw new Error(
        `agentfs sandbox: allowed paths inside the base repository would bypass copy-on-write: ${inside.join(', ')}`,
      );
    }
    // A session id reused after exit resumes its old delta: start from nothing.
    await removeAgentfsSession(home, id);
    await removeTree(rootDir);
    await mkdir(scratchDir, { recursive: true });
    await ensureAllowedPathsExist(allowPaths, home);
    const spec: AgentfsRunSpec = {
      agentfsPath: opts.agentfsPath,
      sessionId: id,
      allowPaths,
      baseDir: base.dir,
      home,
    };
    const createdAt = new Date().toISOString();
    return new AgentfsSandbox(
      { id, baseSha: base.sha, rootDir, repoDir: base.dir, scratchDir, createdAt },
      spec,
    );
  }

  /**
   * The same session id resumes the same delta (agentfs keeps `delta.db` after each run). The base
   * must be unchanged: the delta is laid over whatever the base directory holds now.
   */
  static async open(
    handle: AgentfsHandle,
    agentfsPath = handle.agentfs.agentfsPath,
  ): Promise<AgentfsSandbox> {
    const base = await resolveBaseRepo(handle.baseRepo, handle.baseSha);
    await assertBaseUsableAsLowerLayer(base, 'agentfs');
    await assertDirsExist(handle, [handle.scratchDir]);
    await ensureAllowedPathsExist(handle.agentfs.allowPaths, handle.agentfs.home);
    const spec: AgentfsRunSpec = { ...handle.agentfs, agentfsPath, baseDir: base.dir };
    return new AgentfsSandbox(handle, spec);
  }

  handle(): AgentfsHandle {
    const { agentfsPath, sessionId, home, allowPaths } = this.spec;
    return {
      ...this.commonHandle(this.spec.baseDir),
      backend: 'agentfs',
      agentfs: { agentfsPath, sessionId, home, allowPaths: [...allowPaths] },
    };
  }

  protected wrapArgv(argv: readonly string[], opts: WrapOptions): WrappedCommand {
    return agentfsCommand(this.spec, argv, opts);
  }

  protected async removeAll(): Promise<void> {
    await removeAgentfsSession(this.spec.home, this.spec.sessionId);
    await removeTreeInBackground(this.rootDir);
  }
}
