import { copyFile, mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWorkflow } from '../../packages/testkit/src/workflow-harness/index.js';
import { FIXTURES } from './helpers.js';

/**
 * The real .github/workflows/panic-fix.yml and the real actions' action.yml files, with stub scripts as
 * `dist/index.js`: proves the workflow's wiring (needs, outputs, matrix, max-parallel, if:, inputs the actions
 * declare, artifacts between jobs) in the harness without the pipeline behind it.
 */
const ROOT = path.resolve(FIXTURES, '..', '..', '..');
const STUBS = path.join(FIXTURES, 'panic-fix-stubs');
const ACTIONS = ['preflight', 'reproduce', 'fix', 'ship'] as const;
const PANICS = [
  { location: 'core/vdbe/execute.rs:10:5', slug: 'core-vdbe-execute-rs-10-5' },
  { location: 'core/btree.rs:20:9', slug: 'core-btree-rs-20-9' },
  { location: 'core/schema.rs:30:1', slug: 'core-schema-rs-30-1' },
];
const SECRETS = {
  TURSO_URL: 'file:/tmp/state.db',
  TURSO_AUTH_TOKEN: 'turso-token-canary',
  ANTHROPIC_API_KEY: 'anthropic-key-canary',
  PANIC_FIX_GITHUB_TOKEN: 'gh-token-canary',
};

async function stubRepo() {
  const base = await mkdtemp(path.join(tmpdir(), 'panic-fix-wf-'));
  const repoRoot = path.join(base, 'repo');
  await mkdir(path.join(repoRoot, '.github', 'workflows'), { recursive: true });
  await copyFile(
    path.join(ROOT, '.github', 'workflows', 'panic-fix.yml'),
    path.join(repoRoot, '.github', 'workflows', 'panic-fix.yml'),
  );
  await writeFile(path.join(repoRoot, 'package.json'), '{"type":"module"}\n');
  await mkdir(path.join(repoRoot, 'actions'), { recursive: true });
  await copyFile(path.join(STUBS, 'common.js'), path.join(repoRoot, 'actions', 'common.js'));
  for (const action of ACTIONS) {
    await mkdir(path.join(repoRoot, 'actions', action, 'dist'), { recursive: true });
    await copyFile(
      path.join(ROOT, 'actions', action, 'action.yml'),
      path.join(repoRoot, 'actions', action, 'action.yml'),
    );
    await copyFile(
      path.join(STUBS, `${action}.js`),
      path.join(repoRoot, 'actions', action, 'dist', 'index.js'),
    );
  }
  const log = path.join(base, 'log');
  await mkdir(log);
  return { repoRoot, workDir: path.join(base, 'work'), log };
}

async function calls(log: string) {
  const dir = path.join(log, 'calls');
  const files = (await readdir(dir).catch(() => [])).sort();
  return Promise.all(
    files.map(async (file) => ({ file, ...JSON.parse(await readFile(path.join(dir, file), 'utf8')) })),
  ) as Promise<
    Array<{
      file: string;
      action: string;
      inputs: Record<string, string>;
      passed: Record<string, string | null>;
    }>
  >;
}

describe('panic-fix.yml in the workflow harness (stub actions)', () => {
  it('claims, reproduces and fixes two at a time, uploads one artifact per panic and ships each', async () => {
    const { repoRoot, workDir, log } = await stubRepo();
    const result = await runWorkflow({
      workflowFile: '.github/workflows/panic-fix.yml',
      repoRoot,
      workDir,
      event: 'schedule',
      secrets: SECRETS,
      env: { STUB_LOG: log, STUB_PANICS: JSON.stringify(PANICS), STUB_NO_REPRO: PANICS[2]!.location },
    });
    expect(result.conclusion).toBe('success');
    expect(result.jobOrder).toEqual(['preflight', 'panic', 'ship']);
    expect(result.concurrency).toEqual({ group: 'panic-fix', 'cancel-in-progress': false });
    expect(result.jobs.preflight!.legs[0]!.runsOn).toEqual(['self-hosted', 'agentfs']);
    expect(result.jobs.ship!.permissions).toEqual({ contents: 'write', 'pull-requests': 'write' });
    expect(result.jobs.panic!.permissions).toEqual({ contents: 'read' });

    const panic = result.jobs.panic!;
    expect(panic.strategy).toEqual({ maxParallel: 2, failFast: false, legCount: 3 });
    expect(panic.maxObservedConcurrency).toBe(2);
    const seen = (await readFile(path.join(log, 'concurrency.txt'), 'utf8')).trim().split('\n').map(Number);
    expect(Math.max(...seen)).toBeLessThanOrEqual(2);

    // The never-reproducing panic skips fix but still uploads its transcript.
    const stepsOf = (index: number) =>
      Object.fromEntries(panic.legs[index]!.steps.map((step) => [step.id, step.conclusion]));
    expect(stepsOf(0).fix).toBe('success');
    expect(stepsOf(2).fix).toBe('skipped');
    // One artifact per panic from its leg, and one per panic from ship (the dry-run PR body and patch).
    expect((await readdir(result.artifactsDir)).sort()).toEqual(
      PANICS.flatMap((p) => [`panic-${p.slug}`, `panic-${p.slug}-ship`]).sort(),
    );

    const ship = result.jobs.ship!;
    expect(ship.legs.map((leg) => leg.steps.find((step) => step.id === 'ship')!.outputs.status)).toEqual([
      'pr_open',
      'pr_open',
      'nothing_to_ship',
    ]);

    const all = await calls(log);
    const shipCall = all.find(
      (call) => call.file === `ship-${PANICS[0]!.location.replace(/[^A-Za-z0-9]+/g, '-')}.json`,
    )!;
    expect(shipCall.inputs).toMatchObject({ INPUT_CONFIG: 'properties.json', 'INPUT_DRY-RUN': '' });
    expect(shipCall.passed).toMatchObject({ GITHUB_TOKEN: 'gh-token-canary', ANTHROPIC_API_KEY: null });
    const reproduceCall = all.find((call) => call.action === 'reproduce')!;
    expect(reproduceCall.passed).toMatchObject({
      ANTHROPIC_API_KEY: 'anthropic-key-canary',
      GITHUB_TOKEN: null,
    });
    for (const secret of Object.values(SECRETS)) expect(result.log).not.toContain(secret);
  });

  it('dispatch with panic_location and dry_run reaches the actions; no claim skips panic and ship', async () => {
    const { repoRoot, workDir, log } = await stubRepo();
    const result = await runWorkflow({
      workflowFile: '.github/workflows/panic-fix.yml',
      repoRoot,
      workDir,
      event: 'workflow_dispatch',
      inputs: { panic_location: PANICS[1]!.location, dry_run: true },
      secrets: SECRETS,
      vars: { PANIC_FIX_RUNNER_LABELS: '["self-hosted","agentfs","big"]' },
      env: { STUB_LOG: log, STUB_PANICS: JSON.stringify(PANICS) },
    });
    expect(result.conclusion).toBe('success');
    expect(result.jobs.panic!.legs).toHaveLength(1);
    expect(result.jobs.panic!.legs[0]!.runsOn).toEqual(['self-hosted', 'agentfs', 'big']);
    const shipCall = (await calls(log)).find((call) => call.action === 'ship')!;
    expect(shipCall.inputs).toMatchObject({
      'INPUT_PANIC-LOCATION': PANICS[1]!.location,
      'INPUT_DRY-RUN': 'true',
    });

    const none = await stubRepo();
    const empty = await runWorkflow({
      workflowFile: '.github/workflows/panic-fix.yml',
      repoRoot: none.repoRoot,
      workDir: none.workDir,
      event: 'schedule',
      secrets: SECRETS,
      env: { STUB_LOG: none.log, STUB_PANICS: '[]' },
    });
    expect(empty.conclusion).toBe('success');
    expect(empty.jobs.panic!.result).toBe('skipped');
    expect(empty.jobs.ship!.result).toBe('skipped');
  });

  it('a failing preflight fails the run and starts no panic leg', async () => {
    const { repoRoot, workDir, log } = await stubRepo();
    const result = await runWorkflow({
      workflowFile: '.github/workflows/panic-fix.yml',
      repoRoot,
      workDir,
      event: 'schedule',
      secrets: SECRETS,
      env: { STUB_LOG: log, STUB_PANICS: JSON.stringify(PANICS), STUB_PREFLIGHT_FAIL: '1' },
    });
    expect(result.conclusion).toBe('failure');
    expect(result.jobs.preflight!.result).toBe('failure');
    expect(result.jobs.panic!.result).toBe('skipped');
    expect((await calls(log)).map((call) => call.action)).toEqual(['preflight']);
    // ship's `always()` lets it start; whatever its if/strategy does, no leg may ship anything.
    expect(result.jobs.ship!.legs).toEqual([]);
  });
});
