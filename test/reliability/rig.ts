import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PanicRow } from '../../packages/core/src/index.js';
import { enqueuePlanted, readRows } from '../../packages/testkit/src/demo/planted-rows.js';
import { startGitHubServer, type GitHubServer } from '../../packages/testkit/src/github-server/index.js';
import { plantedScenario } from '../../packages/testkit/src/scenario/panic-fix-scenario.js';
import { CLAUDE_BIN, scriptedAgentEnv } from '../../packages/testkit/src/scripted-model/claude-env.js';
import { startScriptedModel, type ScriptedModel } from '../../packages/testkit/src/scripted-model/server.js';
import type { ScriptedTurn, TurnContext } from '../../packages/testkit/src/scripted-model/types.js';
import {
  gitIn,
  materialiseTarget,
  plantedPanics,
  type PlantedPanic,
} from '../../packages/testkit/src/target-repo/index.js';

/**
 * A full local installation for fault-injection tests: the example target with a bare origin, a
 * `file:` libSQL state DB, the OpenAPI-checked GitHub test server, the real claude CLI on the scripted
 * model, and `panic-fix run` started as a separate node process (the thing we SIGKILL).
 */
export const ROOT = path.resolve(import.meta.dirname, '..', '..');
const ENTRY = path.join(ROOT, 'packages', 'core', 'src', 'cli', 'entry.ts');
export const TOKEN = 'ghs_reliabilityCanary0123456789';
export const REPO = 'example/turso';

export interface Rig {
  dir: string;
  dbFile: string;
  dbUrl: string;
  origin: string;
  github: GitHubServer;
  model: ScriptedModel;
  panics: PlantedPanic[];
  /** Writes a properties file (overrides merged over the rig's defaults) and returns its path. */
  properties(name: string, overrides?: Record<string, unknown>): Promise<string>;
  rows(): Promise<PanicRow[]>;
  row(location: string): Promise<PanicRow>;
  /** Starts `panic-fix run --once` as its own process. */
  runner(args: { config: string; location?: string; label: string }): Runner;
  /** Refs of the bare origin under refs/heads (besides main). */
  branches(): string[];
  /** Pull requests stored by the GitHub test server for a head branch. */
  pullsFor(branch: string): number[];
  /** Called (synchronously) on every model request: lets a test act at a known point of an agent. */
  onModelTurn?: (ctx: TurnContext) => void;
  close(): Promise<void>;
}

export interface Runner {
  child: ChildProcess;
  pid: number;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startRig(opts: { panicIds: string[] }): Promise<Rig> {
  const dir = await mkdtemp(path.join(tmpdir(), 'panic-fix-reliability-'));
  const target = await materialiseTarget({ dir: path.join(dir, 'target') });
  const all = await plantedPanics();
  const panics = opts.panicIds.map((id) => {
    const p = all.find((x) => x.id === id);
    if (!p) throw new Error(`no planted panic ${id}`);
    return p;
  });
  const dbFile = path.join(dir, 'state.db');
  const dbUrl = `file:${dbFile}`;
  await enqueuePlanted(dbUrl, panics);

  const github = await startGitHubServer({ repo: REPO, token: TOKEN, collaborators: ['maintainer'] });
  const scenario = plantedScenario(panics);
  const rig: Rig = {
    dir,
    dbFile,
    dbUrl,
    origin: target.origin,
    github,
    model: undefined as unknown as ScriptedModel,
    panics,
    async properties(name, overrides = {}) {
      const base = {
        tursoUrl: dbUrl,
        baseRepoPath: target.repo,
        maxParallelPanics: 1,
        maxAttempts: 3,
        leaseMs: 3_000,
        githubRepo: REPO,
        githubApiUrl: github.url,
        pushRemote: target.origin,
        prReviewer: '@maintainer',
        prLabels: ['panic-fix'],
        ipcPort: 0,
        reproducerTimeoutMs: 5 * 60_000,
        fixerTimeoutMs: 5 * 60_000,
        target: { validationSeeds: 2 },
        agent: { claudePath: CLAUDE_BIN, maxTurns: 30, killGraceMs: 2_000, phaseAttempts: 1 },
        sandbox: { backend: 'auto' },
      };
      const file = path.join(dir, `${name}.properties.json`);
      await writeFile(file, JSON.stringify({ ...base, ...overrides }, null, 2));
      return file;
    },
    rows: () => readRows(dbUrl),
    async row(location) {
      const r = (await rig.rows()).find((x) => x.panic_location === location);
      if (!r) throw new Error(`no row ${location}`);
      return r;
    },
    runner({ config, location, label }) {
      const args = ['--import', 'tsx', ENTRY, 'run', '--once', '--config', config];
      args.push('--work-dir', path.join(dir, 'work'));
      if (location) args.push('--location', location);
      const child = spawn(process.execPath, args, {
        cwd: ROOT,
        env: { ...process.env, ...childEnv, PANIC_FIX_RUN_LABEL: label },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      const t0 = Date.now();
      const collect = (c: Buffer) => {
        out += c.toString('utf8');
        // RELIABILITY_DEBUG=1 shows each runner's output as it happens, with seconds since its start.
        if (process.env.RELIABILITY_DEBUG)
          process.stderr.write(`[${label} +${((Date.now() - t0) / 1000).toFixed(1)}s] ${c.toString('utf8')}`);
      };
      child.stdout!.on('data', collect);
      child.stderr!.on('data', collect);
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on('close', (code, signal) => resolve({ code, signal })),
      );
      return { child, pid: child.pid!, output: () => out, exited };
    },
    branches() {
      const refs = gitIn(target.origin, ['for-each-ref', '--format=%(refname:short)', 'refs/heads']);
      return refs.split('\n').filter((b) => b && b !== 'main');
    },
    pullsFor(branch) {
      return [...github.pulls.values()]
        .filter((pr) => pr.head === branch || pr.head.endsWith(`:${branch}`))
        .map((pr) => pr.number);
    },
    async close() {
      await rig.model?.close();
      await github.close();
      // Keep the directory for a look when asked; each one holds a built target (tens of MB).
      if (!process.env.RELIABILITY_KEEP) await rm(dir, { recursive: true, force: true });
    },
  };
  rig.model = await startScriptedModel({
    script: (ctx: TurnContext): ScriptedTurn => {
      rig.onModelTurn?.(ctx);
      return scenario(ctx);
    },
  });
  await mkdir(path.join(dir, 'claude-config'), { recursive: true });
  const childEnv = {
    ...scriptedAgentEnv(rig.model.url, path.join(dir, 'claude-config'), 'sk-reliability-scripted'),
    GITHUB_TOKEN: TOKEN,
  };
  return rig;
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  opts: { timeoutMs?: number; everyMs?: number; context?: () => string } = {},
): Promise<T> {
  const until = Date.now() + (opts.timeoutMs ?? 90_000);
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}\n${opts.context?.() ?? ''}`);
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 100));
  }
}

/** Every live (non-zombie) descendant of `pid`, from /proc. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = procStat(Number(name));
    if (!stat || stat.state === 'Z') continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(Number(name));
    children.set(stat.ppid, list);
  }
  const out: number[] = [];
  const stack = [pid];
  while (stack.length) {
    for (const c of children.get(stack.pop()!) ?? []) {
      out.push(c);
      stack.push(c);
    }
  }
  return out;
}

export function procStat(pid: number): { state: string; ppid: number; comm: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = text.lastIndexOf(')');
    const [state, ppid] = text.slice(close + 2).split(' ');
    return { state: state!, ppid: Number(ppid), comm: text.slice(text.indexOf('(') + 1, close) };
  } catch {
    return undefined;
  }
}

export function alive(pids: number[]): number[] {
  return pids.filter((p) => {
    const s = procStat(p);
    return s !== undefined && s.state !== 'Z';
  });
}

export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

export function exists(file: string): boolean {
  return existsSync(file);
}
