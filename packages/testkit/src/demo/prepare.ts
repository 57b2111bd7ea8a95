import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { PanicRow } from '@panic-fix/core';
import { plantedScenario } from '../scenario/panic-fix-scenario.js';
import { CLAUDE_BIN, scriptedAgentEnv } from '../scripted-model/claude-env.js';
import { startScriptedModel } from '../scripted-model/server.js';
import { delayed } from '../scripted-model/turns.js';
import { materialiseTarget, plantedPanics, type PlantedPanic } from '../target-repo/index.js';
import { enqueuePlanted } from './planted-rows.js';

export interface DemoModel {
  description: string;
  /** What the agents need to reach the model (already in process.env unless asked otherwise). */
  env: Record<string, string>;
  close(): Promise<void>;
}

export interface StartModelOptions {
  /** Every scripted answer waits this long (tests use it to signal while phases are running). */
  turnDelayMs?: number;
  /** Put the model's env into this process's env (the demo does; tests pass it to a child). Default true. */
  applyToProcessEnv?: boolean;
}

/** Which planted panic the demo's scripted reproducer fails on (to show needs_human_review). */
export const UNREPRODUCIBLE_KIND = 'unreproducible';

/** What each planted panic should end as. */
export function expectedStatus(panic: PlantedPanic): PanicRow['status'] {
  if (panic.kind === 'unimplemented') return 'skipped';
  if (!panic.reference) return 'needs_human_review';
  return 'pr_open';
}

/**
 * Lays out the demo: the example target as a git repo with a bare origin, a fresh `file:`
 * database holding the planted panics, and properties for a dry run.
 */
export async function prepareDemo(opts: {
  dir: string;
  log: (text: string) => void;
  /** Which planted panics to enqueue (default all). */
  enqueue?: (panic: PlantedPanic) => boolean;
}) {
  const targetDir = path.join(opts.dir, 'target');
  await rm(targetDir, { recursive: true, force: true });
  await mkdir(targetDir, { recursive: true });
  const target = await materialiseTarget({ dir: targetDir });
  const dbFile = path.join(opts.dir, 'panic-fix.db');
  for (const suffix of ['', '-wal', '-shm', '-journal']) await rm(`${dbFile}${suffix}`, { force: true });
  const tursoUrl = `file:${dbFile}`;
  const panics = await plantedPanics();
  await enqueuePlanted(tursoUrl, opts.enqueue ? panics.filter(opts.enqueue) : panics, (p) =>
    opts.log(`  enqueued ${p.panic_location} (${p.kind}): ${p.panic_message.split('\n')[0]?.slice(0, 80)}\n`),
  );

  const properties = {
    tursoUrl,
    baseRepoPath: target.repo,
    maxParallelPanics: 2,
    dryRun: true,
    githubRepo: 'example/turso-target',
    pushRemote: target.origin,
    prReviewer: '',
    ipcPort: 0,
    reproducerTimeoutMs: 20 * 60_000,
    fixerTimeoutMs: 20 * 60_000,
    target: { validationSeeds: 4 },
    agent: { claudePath: CLAUDE_BIN, maxTurns: 40, killGraceMs: 3_000 },
    sandbox: { backend: 'auto', workDir: path.join(opts.dir, 'work', 'sandboxes') },
  };

  async function startModel(modelOpts: StartModelOptions = {}): Promise<DemoModel> {
    if (process.env.ANTHROPIC_API_KEY && !process.env.PANIC_FIX_DEMO_SCRIPTED) {
      return { description: 'real model (ANTHROPIC_API_KEY is set)', env: {}, close: async () => undefined };
    }
    // PANIC_FIX_DEMO_SABOTAGE=1: the scripted reproducer never finds a seed, so the demo's
    // expectations fail (shows, and tests, that the demo exits non-zero then).
    const sabotage = process.env.PANIC_FIX_DEMO_SABOTAGE === '1';
    const scenario = plantedScenario(panics, { sabotage });
    const delayMs = modelOpts.turnDelayMs ?? 0;
    const model = await startScriptedModel({
      script: delayMs > 0 ? (ctx) => delayed(delayMs, scenario(ctx)) : scenario,
    });
    // The agents inherit these through the runner's allow-list; nothing leaves 127.0.0.1.
    const env = scriptedAgentEnv(model.url, path.join(opts.dir, 'claude-config'), 'sk-demo-scripted-model');
    if (modelOpts.applyToProcessEnv !== false) Object.assign(process.env, env);
    return {
      description: `scripted model on ${model.url}${sabotage ? ' (sabotaged: never reproduces)' : ''} (set ANTHROPIC_API_KEY for a real one)`,
      env,
      close: () => model.close(),
    };
  }

  return { target, properties, panics, startModel };
}

/** Every planted panic in the state it should reach; a list of what went wrong otherwise. */
export async function checkDemo(rows: PanicRow[]): Promise<string[]> {
  const panics = await plantedPanics();
  return demoProblems(rows, panics);
}

export function demoProblems(rows: PanicRow[], panics: PlantedPanic[]): string[] {
  const problems: string[] = [];
  for (const p of panics) {
    const row = rows.find((r) => r.panic_location === p.panic_location);
    const want = expectedStatus(p);
    if (!row) problems.push(`${p.panic_location}: missing from the database`);
    else if (row.status !== want)
      problems.push(
        `${p.panic_location}: ${row.status}, expected ${want}${row.workflow_error ? ` (${row.workflow_error.error.slice(0, 300)})` : ''}`,
      );
    else if (want === 'pr_open' && !row.pr_url)
      problems.push(`${p.panic_location}: pr_open without a PR URL`);
  }
  return problems;
}
