import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PanicRow } from '../../packages/core/src/index.js';
import { enqueuePlanted, readRows } from '../../packages/testkit/src/demo/planted-rows.js';
import { expectedStatus } from '../../packages/testkit/src/demo/prepare.js';
import { startGitHubServer, type GitHubServer } from '../../packages/testkit/src/github-server/index.js';
import { plantedScenario } from '../../packages/testkit/src/scenario/panic-fix-scenario.js';
import { CLAUDE_BIN, scriptedAgentEnv } from '../../packages/testkit/src/scripted-model/claude-env.js';
import { startScriptedModel, type ScriptedModel } from '../../packages/testkit/src/scripted-model/server.js';
import {
  gitIn,
  materialiseTarget,
  plantedPanics,
  type PlantedPanic,
} from '../../packages/testkit/src/target-repo/index.js';
import { runWorkflow } from '../../packages/testkit/src/workflow-harness/index.js';

/**
 * The product, end to end: the real workflow file executed by the harness, the bundled actions,
 * the example target as base repo with a local bare origin, the real `claude` CLI on the scripted
 * model, overlay (or worktree) sandboxes, and a GitHub API that checks every request against the
 * official OpenAPI description.
 */
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const GITHUB_TOKEN = 'ghs_e2eCanaryToken0123456789';
const REPO = 'example/turso';

let dir: string;
let github: GitHubServer;
let model: ScriptedModel;
let panics: PlantedPanic[];
let dbUrl: string;
let origin: string;
let env: Record<string, string>;
let vars: Record<string, string>;
let secrets: Record<string, string>;

beforeAll(async () => {
  for (const action of ['preflight', 'reproduce', 'fix', 'ship']) {
    if (!existsSync(path.join(ROOT, 'actions', action, 'dist', 'index.js')))
      throw new Error(`actions/${action}/dist is missing: run npm run build first`);
  }
  dir = await mkdtemp(path.join(tmpdir(), 'panic-fix-e2e-'));
  const target = await materialiseTarget({ dir: path.join(dir, 'target') });
  origin = target.origin;
  panics = await plantedPanics();
  dbUrl = `file:${path.join(dir, 'state.db')}`;
  await enqueuePlanted(dbUrl, panics);

  github = await startGitHubServer({ repo: REPO, token: GITHUB_TOKEN, collaborators: ['maintainer'] });
  model = await startScriptedModel({
    script: plantedScenario(panics),
  });
  const properties = {
    baseRepoPath: target.repo,
    maxParallelPanics: 2,
    githubRepo: REPO,
    githubApiUrl: github.url,
    pushRemote: target.origin,
    prReviewer: '@maintainer',
    prLabels: ['panic-fix'],
    ipcPort: 0,
    reproducerTimeoutMs: 10 * 60_000,
    fixerTimeoutMs: 10 * 60_000,
    target: { validationSeeds: 3 },
    agent: { claudePath: CLAUDE_BIN, maxTurns: 30, killGraceMs: 2_000, phaseAttempts: 2 },
    sandbox: { backend: 'auto' },
  };
  const propertiesFile = path.join(dir, 'properties.json');
  await writeFile(propertiesFile, JSON.stringify(properties, null, 2));
  vars = { PANIC_FIX_CONFIG: propertiesFile, PANIC_FIX_RUNNER_LABELS: '["self-hosted","agentfs"]' };
  secrets = { TURSO_URL: dbUrl, PANIC_FIX_GITHUB_TOKEN: GITHUB_TOKEN, ANTHROPIC_API_KEY: 'sk-e2e-scripted' };
  await mkdir(path.join(dir, 'claude-config'), { recursive: true });
  // The model key comes from the workflow's secrets, as on GitHub.
  const { ANTHROPIC_API_KEY: _fromSecrets, ...agentEnv } = scriptedAgentEnv(
    model.url,
    path.join(dir, 'claude-config'),
  );
  env = agentEnv;
}, 120_000);

afterAll(async () => {
  await model?.close();
  await github?.close();
});

const rows = (): Promise<PanicRow[]> => readRows(dbUrl);

describe('panic-fix.yml end to end on the example target', () => {
  it(
    'takes every planted panic to the state it should reach, two at a time, and a second run changes nothing',
    async () => {
      const run = await runWorkflow({
        workflowFile: '.github/workflows/panic-fix.yml',
        repoRoot: ROOT,
        workDir: path.join(dir, 'run-1'),
        event: 'schedule',
        vars,
        secrets,
        env,
        github: { repository: REPO, runId: '501' },
      });
      const after = await rows();
      const describeRows = after
        .map((r) => `${r.panic_location}: ${r.status} ${r.workflow_error?.error ?? ''}`)
        .join('\n');
      for (const p of panics) {
        const row = after.find((r) => r.panic_location === p.panic_location)!;
        expect(row.status, `${p.id}\n${describeRows}\n${run.log.slice(-20_000)}`).toBe(expectedStatus(p));
      }

      // The matrix ran two panics at a time, as maxParallelPanics says.
      const claimed = panics.filter((p) => p.kind !== 'unimplemented');
      expect(run.jobs.panic!.strategy).toEqual({ maxParallel: 2, failFast: false, legCount: claimed.length });
      expect(run.jobs.panic!.maxObservedConcurrency).toBe(2);

      // Real panics: a draft PR each, on the branch the pipeline pushed, reviewer and label set.
      const shipped = panics.filter((p) => expectedStatus(p) === 'pr_open');
      expect(shipped.length).toBeGreaterThanOrEqual(3);
      expect(github.violations).toEqual([]);
      expect(github.pulls.size).toBe(shipped.length);
      for (const p of shipped) {
        const row = after.find((r) => r.panic_location === p.panic_location)!;
        const pull = [...github.pulls.values()].find(
          (pr) => pr.head === row.branch_name || pr.head.endsWith(`:${row.branch_name}`),
        )!;
        expect(pull, `PR for ${p.id}`).toBeDefined();
        expect(pull.draft).toBe(true);
        expect(pull.labels).toContain('panic-fix');
        expect(pull.reviewers).toContain('maintainer');
        expect(pull.body).toContain(
          p.panic_location.replace(/[_*]/g, '\\$&').split('/').pop()!.split(':')[0]!.replace('.rs', ''),
        );
        expect(row.pr_url).toContain(`/pull/${pull.number}`);
        expect(row.failing_seed).toBe(String(p.reference!.seed));
        // The pushed branch holds one commit on top of the base with the fix and the regression test.
        const files = gitIn(origin, ['diff', '--name-only', `main...${row.branch_name}`]).split('\n');
        expect(files.some((f) => f.startsWith('core/'))).toBe(true);
        expect(files.some((f) => f.startsWith('simulator/'))).toBe(true);
        expect(files.some((f) => f.startsWith('testing/panic-'))).toBe(true);
        expect(gitIn(origin, ['rev-list', '--count', `main..${row.branch_name}`])).toBe('1');
        const metrics = row.phase_metrics ?? {};
        expect(metrics.reproducing?.turns ?? 0).toBeGreaterThan(0);
        expect(metrics.fixing?.outcome).toBe('verified');
      }
      // The one whose agent never reproduces: needs_human_review with the reason, transcript kept.
      for (const p of panics.filter((x) => expectedStatus(x) === 'needs_human_review')) {
        const row = after.find((r) => r.panic_location === p.panic_location)!;
        expect(row.workflow_error?.phase).toBe('reproducing');
        expect(row.workflow_error?.error).toMatch(/did not produce a verified failing seed/);
        const slug = run.jobs.panic!.legs.find((leg) => leg.matrix?.location === p.panic_location)!.matrix!
          .slug as string;
        const transcript = await readFile(
          path.join(run.artifactsDir, `panic-${slug}`, 'transcripts', 'reproducer-1.jsonl'),
          'utf8',
        );
        expect(transcript.length).toBeGreaterThan(0);
      }
      const skipped = after.find((r) => r.status === 'skipped');
      expect(skipped?.skip_reason).toMatch(/implemented/i);
      expect(run.log).not.toContain(GITHUB_TOKEN);

      // A second scheduled run claims nothing and opens no second PR.
      const again = await runWorkflow({
        workflowFile: '.github/workflows/panic-fix.yml',
        repoRoot: ROOT,
        workDir: path.join(dir, 'run-2'),
        event: 'schedule',
        vars,
        secrets,
        env,
        github: { repository: REPO, runId: '502' },
      });
      expect(again.jobs.preflight!.outputs.count).toBe('0');
      expect(again.jobs.panic!.result).toBe('skipped');
      expect(github.pulls.size).toBe(shipped.length);
      expect((await rows()).map((r) => r.status)).toEqual(after.map((r) => r.status));
    },
    30 * 60_000,
  );
});
