import { randomBytes } from 'node:crypto';
import { access, constants, mkdir, mkdtemp, realpath, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { SandboxConfig } from '../config/schema.js';
import { describeExit, runCommand, type RunCommandResult } from '../util/run-command.js';
import { removeAgentfsSession } from './agentfs.js';
import { overlayArgv, overlayLayers } from './overlay.js';
import { removeTree } from './remove-tree.js';
import type { SandboxBackendName } from './types.js';
import { assertOverlaySafePath } from './validate.js';
import { WORKTREE_NO_ISOLATION } from './worktree.js';

export interface BackendProbe {
  backend: SandboxBackendName;
  available: boolean;
  /** Why it is (not) usable, for logs. */
  detail: string;
}

export interface BackendDetection {
  backend: SandboxBackendName;
  isolated: boolean;
  /** One line saying why this backend was chosen. */
  reason: string;
  /** Every probe that ran (empty when the backend was configured explicitly). */
  probes: BackendProbe[];
}

export interface DetectOptions {
  /** Where probe directories are made: the same filesystem the sandboxes will use. */
  workDir: string;
  /** HOME agentfs runs with (its sessions live there). Default: os.homedir(). */
  home?: string;
  env?: NodeJS.ProcessEnv;
}

const PROBE_TIMEOUT_MS = 60_000;
const AUTO_ORDER: readonly SandboxBackendName[] = ['agentfs', 'overlay', 'worktree'];

/** PATH lookup without a shell; a name with a slash is checked as given. */
export async function findExecutable(
  name: string,
  pathVar = process.env.PATH ?? '',
): Promise<string | undefined> {
  const candidates = name.includes('/')
    ? [path.resolve(name)]
    : pathVar
        .split(':')
        .filter(Boolean)
        .map((dir) => path.join(dir, name));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      if ((await stat(candidate)).isFile()) return candidate;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

function failure(result: RunCommandResult): string {
  const output = result.tail.trim().split('\n').slice(-3).join(' | ');
  return `${describeExit(result)}${output ? `: ${output}` : ''}`;
}

export async function probeAgentfs(agentfsPath: string, opts: DetectOptions): Promise<BackendProbe> {
  const env = opts.env ?? process.env;
  const binary = await findExecutable(agentfsPath, env.PATH);
  if (!binary) return { backend: 'agentfs', available: false, detail: `${agentfsPath} not found on PATH` };
  const home = path.resolve(opts.home ?? os.homedir());
  const session = `panic-fix-probe-${randomBytes(6).toString('hex')}`;
  const dir = await mkdtemp(path.join(opts.workDir, '.probe-agentfs-'));
  try {
    const result = await runCommand({
      argv: [binary, 'run', '--session', session, '--', 'true'],
      cwd: dir,
      env: { ...env, HOME: home },
      timeoutMs: PROBE_TIMEOUT_MS,
    });
    if (result.exitCode !== 0) {
      return {
        backend: 'agentfs',
        available: false,
        detail: `\`${binary} run --session ${session} -- true\` failed (${failure(result)})`,
      };
    }
    return { backend: 'agentfs', available: true, detail: `${binary}: \`agentfs run -- true\` succeeded` };
  } finally {
    await removeAgentfsSession(home, session).catch(() => undefined);
    await removeTree(dir);
  }
}

/** Mounts a throw-away overlay exactly as sandboxes do and checks the lower is visible and writes land in the upper. */
export async function probeOverlay(opts: DetectOptions): Promise<BackendProbe> {
  const dir = await mkdtemp(path.join(opts.workDir, '.probe-overlay-'));
  try {
    const layers = overlayLayers(path.join(dir, 'lower'), dir);
    try {
      for (const [label, p] of Object.entries(layers)) assertOverlaySafePath(label, p);
    } catch (error) {
      return { backend: 'overlay', available: false, detail: (error as Error).message };
    }
    for (const p of Object.values(layers)) await mkdir(p, { recursive: true });
    await writeFile(path.join(layers.lower, 'lower-file'), 'probe\n');
    const result = await runCommand({
      argv: overlayArgv(layers, '.', ['cp', 'lower-file', 'upper-file']),
      cwd: dir,
      timeoutMs: PROBE_TIMEOUT_MS,
    });
    if (result.exitCode !== 0) {
      return {
        backend: 'overlay',
        available: false,
        detail: `unshare -Urm + mount -t overlay failed (${failure(result)})`,
      };
    }
    const wroteUpper = await access(path.join(layers.upper, 'upper-file')).then(
      () => true,
      () => false,
    );
    const leakedLower = await access(path.join(layers.lower, 'upper-file')).then(
      () => true,
      () => false,
    );
    if (!wroteUpper || leakedLower) {
      return {
        backend: 'overlay',
        available: false,
        detail: 'overlay probe ran but its write did not land in the upper dir',
      };
    }
    return { backend: 'overlay', available: true, detail: 'kernel overlayfs mounts inside `unshare -Urm`' };
  } finally {
    await removeTree(dir);
  }
}

export async function probeWorktree(): Promise<BackendProbe> {
  const result = await runCommand({ argv: ['git', '--version'], cwd: '/', timeoutMs: 30_000 });
  return result.exitCode === 0
    ? {
        backend: 'worktree',
        available: true,
        detail: `${result.stdoutTail.trim()}; ${WORKTREE_NO_ISOLATION}`,
      }
    : { backend: 'worktree', available: false, detail: `git is not usable (${failure(result)})` };
}

/** Probes every backend (for logs and tests); `detectBackend` stops at the first that works. */
export async function probeBackends(config: SandboxConfig, opts: DetectOptions): Promise<BackendProbe[]> {
  const resolved = await withWorkDir(opts);
  const probes: BackendProbe[] = [];
  for (const backend of AUTO_ORDER) probes.push(await probeBackend(backend, config, resolved));
  return probes;
}

function probeBackend(
  backend: SandboxBackendName,
  config: SandboxConfig,
  resolved: DetectOptions,
): Promise<BackendProbe> {
  if (backend === 'agentfs') return probeAgentfs(config.agentfsPath, resolved);
  if (backend === 'overlay') return probeOverlay(resolved);
  return probeWorktree();
}

async function withWorkDir(opts: DetectOptions): Promise<DetectOptions> {
  await mkdir(opts.workDir, { recursive: true });
  return { ...opts, workDir: await realpath(opts.workDir) };
}

/**
 * `auto`: agentfs if its binary runs a session, else kernel overlayfs in a user namespace, else a
 * git worktree (no isolation). The reason names what each skipped backend lacked.
 */
export async function detectBackend(config: SandboxConfig, opts: DetectOptions): Promise<BackendDetection> {
  if (config.backend !== 'auto') {
    const isolated = config.backend !== 'worktree';
    const reason = `configured (sandbox.backend = ${config.backend})${isolated ? '' : `; ${WORKTREE_NO_ISOLATION}`}`;
    return { backend: config.backend, isolated, reason, probes: [] };
  }
  const resolved = await withWorkDir(opts);
  const probes: BackendProbe[] = [];
  for (const backend of AUTO_ORDER) {
    const probe = await probeBackend(backend, config, resolved);
    probes.push(probe);
    if (probe.available) {
      const skipped = probes.filter((p) => !p.available).map((p) => `${p.backend} unavailable: ${p.detail}`);
      const reason = [`auto: ${probe.detail}`, ...skipped].join('; ');
      return { backend, isolated: backend !== 'worktree', reason, probes };
    }
  }
  throw new Error(
    `no sandbox backend is usable: ${probes.map((p) => `${p.backend}: ${p.detail}`).join('; ')}`,
  );
}
