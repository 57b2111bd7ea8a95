import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { ActionImplementation, StepListener } from './types.js';

const stringMap = z.record(z.string(), z.string());
const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable names are [A-Za-z_][A-Za-z0-9_]*');

const checkoutSchema = z.discriminatedUnion('mode', [
  /** The workspace is `repoRoot` itself; `actions/checkout` does nothing. */
  z.object({ mode: z.literal('repo-root') }),
  /** Every job gets its own empty workspace; `actions/checkout` copies `repoRoot` into it. */
  z.object({
    mode: z.literal('copy'),
    /** Top-level or nested relative paths not copied (`.git` is always skipped). */
    exclude: z.array(z.string().min(1)).default([]),
    /** Relative paths symlinked instead of copied (e.g. `node_modules`). */
    symlink: z.array(z.string().min(1)).default([]),
  }),
]);

const actionImplementation = z.custom<ActionImplementation>((value) => typeof value === 'function', {
  message: 'an action override must be a function',
});

export const runWorkflowOptionsSchema = z.object({
  workflowFile: z.string().min(1),
  repoRoot: z.string().min(1),
  event: z.enum(['schedule', 'workflow_dispatch']),
  /** `workflow_dispatch` inputs (checked against the workflow's declared inputs, typed like GitHub types them). */
  inputs: z.record(z.string(), z.union([z.string(), z.boolean(), z.number()])).default({}),
  /** Which `schedule` entry fired (defaults to the first). */
  cron: z.string().optional(),
  vars: stringMap.default({}),
  secrets: stringMap.default({}),
  /** Added to the runner machine's environment (what every step process inherits). */
  env: z.record(envName, z.string()).default({}),
  /** Scratch directory of the run (event file, step files, per-leg workspaces); a temp dir when absent. */
  workDir: z.string().min(1).optional(),
  /** Parent of each leg's RUNNER_TEMP (every leg gets its own, as every job gets its own runner). */
  runnerTemp: z.string().min(1).optional(),
  /** Where uploaded artifacts live, one directory per artifact name. */
  artifactsDir: z.string().min(1).optional(),
  /** Called before and after every step (tests use it to observe progress or inject faults). */
  onStep: z.custom<StepListener>((value) => typeof value === 'function').optional(),
  /** `owner/repo` or `owner/repo/path` → in-process implementation; wins over the built-in emulations. */
  actionOverrides: z
    .record(z.string().regex(/^[^@\s]+\/[^@\s]+$/, 'key is owner/repo[/path]'), actionImplementation)
    .default({}),
  checkout: checkoutSchema.default({ mode: 'repo-root' }),
  github: z
    .object({
      repository: z
        .string()
        .regex(/^[^/\s]+\/[^/\s]+$/)
        .default('example/repo'),
      sha: z
        .string()
        .regex(/^[0-9a-f]{40}$/)
        .default('0123456789abcdef0123456789abcdef01234567'),
      ref: z.string().default('refs/heads/main'),
      runId: z.string().default('1000'),
      runNumber: z.string().default('1'),
      actor: z.string().default('harness'),
      serverUrl: z.string().default('https://github.com'),
      apiUrl: z.string().default('https://api.github.com'),
      graphqlUrl: z.string().default('https://api.github.com/graphql'),
    })
    .prefault({}),
  /** Milliseconds in a "minute" of `timeout-minutes` (tests shrink it). */
  minuteMs: z.number().positive().default(60_000),
  /**
   * Fail a local action step on a missing required input or an input the action does not declare. GitHub only
   * warns about unexpected inputs and leaves required ones to the action; strictness catches wiring bugs early.
   */
  strictActionInputs: z.boolean().default(true),
  /** Step processes inherit this process's environment (minus GITHUB_/RUNNER_/INPUT_/STATE_/ACTIONS_ variables). */
  inheritProcessEnv: z.boolean().default(true),
});

export type RunWorkflowOptions = z.input<typeof runWorkflowOptionsSchema>;
export type ResolvedOptions = Omit<
  z.output<typeof runWorkflowOptionsSchema>,
  'workDir' | 'runnerTemp' | 'artifactsDir'
> & { workflowPath: string; workDir: string; runnerTemp: string; artifactsDir: string };

export async function resolveOptions(input: RunWorkflowOptions): Promise<ResolvedOptions> {
  const parsed = runWorkflowOptionsSchema.parse(input);
  const repoRoot = path.resolve(parsed.repoRoot);
  const workDir = path.resolve(parsed.workDir ?? (await mkdtemp(path.join(tmpdir(), 'workflow-harness-'))));
  return {
    ...parsed,
    repoRoot,
    workDir,
    runnerTemp: path.resolve(parsed.runnerTemp ?? path.join(workDir, 'runner-temp')),
    artifactsDir: path.resolve(parsed.artifactsDir ?? path.join(workDir, 'artifacts')),
    workflowPath: path.resolve(repoRoot, parsed.workflowFile),
  };
}
