import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { assertBaseUsableAsLowerLayer, resolveBaseRepo, type BaseRepo } from './base-repo.js';
import { assertDirsExist, type OverlayHandle } from './handle.js';
import { trustAllDirectories } from './git.js';
import { removeTree, removeTreeInBackground } from './remove-tree.js';
import { SandboxBase, type SandboxPaths } from './sandbox-base.js';
import type { WrapOptions, WrappedCommand } from './types.js';
import { assertOverlaySafePath, normalizeSubdir } from './validate.js';

export interface OverlayLayers {
  lower: string;
  upper: string;
  work: string;
  merged: string;
}

/**
 * Fixed script: every path and argv element arrives as a positional parameter, never as shell text.
 * `userxattr` keeps overlay metadata (opaque dirs, redirects) in user.* xattrs, which a user namespace may set.
 */
export const OVERLAY_SCRIPT =
  'mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3,userxattr" "$4" ' +
  '|| { echo "panic-fix sandbox: cannot mount the overlay on $4" >&2; exit 125; }; ' +
  'cd "$4/$5" || { echo "panic-fix sandbox: no directory $5 in the sandbox" >&2; exit 125; }; ' +
  'shift 5; exec "$@"';

/**
 * argv that enters a fresh user+mount namespace, mounts the overlay there (the host never sees the
 * mount, so nothing can leak) and execs the command. No PID namespace: the command stays in the
 * caller's process group, so a timeout kills it too.
 */
export function overlayArgv(layers: OverlayLayers, subdir: string, argv: readonly string[]): string[] {
  return [
    'unshare',
    '--user',
    '--map-root-user',
    '--mount',
    '--propagation',
    'private',
    '--',
    'sh',
    '-c',
    OVERLAY_SCRIPT,
    'panic-fix-sandbox',
    layers.lower,
    layers.upper,
    layers.work,
    layers.merged,
    subdir,
    ...argv,
  ];
}

export function overlayLayers(lower: string, rootDir: string): OverlayLayers {
  return {
    lower,
    upper: path.join(rootDir, 'upper'),
    work: path.join(rootDir, 'work'),
    merged: path.join(rootDir, 'merged'),
  };
}

/**
 * Kernel overlayfs over the base's own working tree: creation copies nothing, writes land in `upper/`.
 * Each `run` mounts its own overlay over the same upper/work dirs, so runs should be sequential
 * (children of one run, e.g. the agent's MCP tools, share its mount and are fine): the kernel allows
 * two live mounts of one upper dir but warns their interplay is undefined.
 */
export class OverlaySandbox extends SandboxBase {
  readonly backend = 'overlay' as const;
  readonly isolated = true;
  readonly layers: OverlayLayers;

  private constructor(paths: SandboxPaths, layers: OverlayLayers) {
    super(paths);
    this.layers = layers;
  }

  static async create(
    base: BaseRepo,
    id: string,
    rootDir: string,
    opts: { checkClean?: boolean } = {},
  ): Promise<OverlaySandbox> {
    await assertBaseUsableAsLowerLayer(base, 'overlay', opts);
    const layers = overlayLayers(base.dir, rootDir);
    for (const [label, dir] of Object.entries(layers)) assertOverlaySafePath(label, dir);
    const scratchDir = path.join(rootDir, 'scratch');
    await removeTree(rootDir); // a crashed run's leftovers (its mounts died with its namespaces)
    for (const dir of [layers.upper, layers.work, layers.merged, scratchDir])
      await mkdir(dir, { recursive: true });
    const createdAt = new Date().toISOString();
    return new OverlaySandbox(
      { id, baseSha: base.sha, rootDir, repoDir: layers.merged, scratchDir, createdAt },
      layers,
    );
  }

  /**
   * Same upper dir, so every earlier write is there. The lower must still be the base commit, clean:
   * overlayfs over a changed lower layer is undefined behaviour.
   */
  static async open(handle: OverlayHandle): Promise<OverlaySandbox> {
    const base = await resolveBaseRepo(handle.baseRepo, handle.baseSha);
    if (base.dir !== handle.overlay.lower)
      throw new Error(
        `overlay sandbox ${handle.id}: lower ${handle.overlay.lower} is not the base ${base.dir}`,
      );
    await assertBaseUsableAsLowerLayer(base, 'overlay');
    const { upper, work, merged } = handle.overlay;
    await assertDirsExist(handle, [upper, work, merged, handle.scratchDir]);
    return new OverlaySandbox(handle, { ...handle.overlay });
  }

  handle(): OverlayHandle {
    return { ...this.commonHandle(this.layers.lower), backend: 'overlay', overlay: { ...this.layers } };
  }

  protected wrapArgv(argv: readonly string[], opts: WrapOptions): WrappedCommand {
    return {
      argv: overlayArgv(this.layers, normalizeSubdir(opts.subdir), argv),
      cwd: this.rootDir,
      env: trustAllDirectories(opts.env ?? process.env),
    };
  }

  protected async removeAll(): Promise<void> {
    await removeTreeInBackground(this.rootDir);
  }
}
