import { existsSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, PanicStore, type PanicRow } from '../../packages/core/src/index.js';
import { runLocalPass } from '../../packages/core/src/local/orchestrator.js';
import { consoleReporter } from '../../packages/core/src/pipeline/reporter.js';
import { panicFixScenario, scenarioPanic } from '../../packages/testkit/src/scenario/panic-fix-scenario.js';
import { CLAUDE_BIN, scriptedAgentEnv } from '../../packages/testkit/src/scripted-model/claude-env.js';
import { startScriptedModel, type ScriptedModel } from '../../packages/testkit/src/scripted-model/server.js';
import { materialiseTarget, plantedPanics } from '../../packages/testkit/src/target-repo/index.js';

/**
 * Never trust the agent's word: agents that claim success without doing the work, or that do the
 * wrong work, are caught by the pipeline's own checks, retried once with the reason, then handed to
 * a human with that reason. Real claude CLI, real sandboxes, real target.
 */
const ROOT = path.resolve(import.meta.dirname, '..', '..');
let model: ScriptedModel;
let rows: PanicRow[];
let artifactsRoot: string;
let logLines: string[];

const savedEnv = { ...process.env };

beforeAll(async () => {
  if (!existsSync(path.join(ROOT, 'packages', 'mcp-tools', 'dist', 'index.js')))
    throw new Error('run npm run build first');
  const dir = await mkdtemp(path.join(tmpdir(), 'panic-fix-claims-'));
  const target = await materialiseTarget({ dir: path.join(dir, 'target') });
  const panics = await plantedPanics();
  const liar = panics.find((p) => p.id === 'insert-partial-columns')!;
  const meddler = panics.find((p) => p.id === 'order-by-unselected-column')!;
  model = await startScriptedModel({
    script: panicFixScenario([
      scenarioPanic(liar, { behaviour: 'lying-fixer' }),
      scenarioPanic(meddler, { behaviour: 'reproducer-edits-core' }),
    ]),
  });
  const tursoUrl = `file:${path.join(dir, 'state.db')}`;
  const store = await PanicStore.open(tursoUrl);
  for (const p of [liar, meddler]) {
    await store.enqueue({
      panic_location: p.panic_location,
      panic_message: p.panic_message,
      sql_statements: p.sql_statements,
    });
  }
  Object.assign(
    process.env,
    scriptedAgentEnv(model.url, path.join(dir, 'claude-config'), 'sk-claims-scripted'),
  );
  const config = configSchema.parse({
    tursoUrl,
    baseRepoPath: target.repo,
    pushRemote: target.origin,
    dryRun: true,
    ipcPort: 0,
    target: { validationSeeds: 2 },
    agent: { claudePath: CLAUDE_BIN, maxTurns: 20, killGraceMs: 2_000, phaseAttempts: 2 },
    sandbox: { backend: 'auto' },
  });
  artifactsRoot = path.join(dir, 'artifacts');
  logLines = [];
  await runLocalPass({
    config,
    store,
    reporter: consoleReporter('', (line) => logLines.push(line)),
    homeDir: ROOT,
    workDir: path.join(dir, 'sandboxes'),
    artifactsRoot,
  });
  rows = await store.list();
  store.close();
}, 600_000);

afterAll(async () => {
  await model?.close();
  process.env = savedEnv;
});

describe('the pipeline checks what agents claim', () => {
  it('rejects a fixer that reports a fix it did not make, twice, then asks a human', async () => {
    const row = rows.find((r) => r.panic_location === 'core/storage/btree.rs:25:9')!;
    expect(row.status, logLines.join('\n').slice(-5000)).toBe('needs_human_review');
    expect(row.failing_seed).toBe('17'); // the reproduction itself was honest and verified
    expect(row.workflow_error?.phase).toBe('fixing');
    expect(row.workflow_error?.error).toMatch(
      /the fix was not accepted: validation failed at regression_test/,
    );
    const slugDir = (await readdir(artifactsRoot)).find((d) => d.startsWith('core-storage-btree'))!;
    expect((await readdir(path.join(artifactsRoot, slugDir, 'transcripts'))).sort()).toEqual([
      'fixer-1.jsonl',
      'fixer-2.jsonl',
      'reproducer-1.jsonl',
    ]);
    expect(row.pr_url).toBeNull();
  });

  it('rejects a reproducer that changes the engine instead of the simulator', () => {
    const row = rows.find((r) => r.panic_location === 'core/translate/select.rs:59:22')!;
    expect(row.status).toBe('needs_human_review');
    expect(row.workflow_error?.phase).toBe('reproducing');
    expect(row.workflow_error?.error).toMatch(
      /may only change the simulator .* but changed: core\/translate\/select\.rs/,
    );
    expect(row.failing_seed).toBeNull();
  });
});
