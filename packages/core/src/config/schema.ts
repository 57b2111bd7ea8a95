import { z } from 'zod';

/** An argv array: commands are never shell strings. `{seed}`, `{test}` … are filled per element. */
export const argvSchema = z.array(z.string().min(1)).min(1, 'must name a program');
export type Argv = z.infer<typeof argvSchema>;

const positiveMs = z.number().int().positive();

/** How the pipeline drives the target repository (Turso by default). */
export const targetSchema = z
  .object({
    /** Preflight build, run once per base commit. */
    buildCommand: argvSchema.default(['make']),
    /** Preflight and slow-validation test suite. */
    testCommand: argvSchema.default(['make', 'test']),
    /** One simulator run; `{seed}` is replaced by the seed. Debug build: release aborts without a hook. */
    simulatorCommand: argvSchema.default(['cargo', 'run', '-p', 'limbo_sim', '--', '--seed', '{seed}']),
    /** Builds what a single regression test needs (run in the sandbox before the first test run). */
    prepareCommand: argvSchema.default(['cargo', 'build', '--bin', 'tursodb']),
    /** Runs one regression test; `{test}` is its file name, `{testPath}` its repo-relative path. */
    singleTestCommand: argvSchema.default(['make', 'test-single', 'TEST={test}']),
    /** `auto` picks from the tree: `.sqltest` corpora if present, else TCL `tester.tcl`. */
    regressionTestFormat: z.enum(['auto', 'tcl', 'sqltest']).default('auto'),
    /** Directory (repo-relative) where TCL tests and `tester.tcl` live. */
    tclTestDir: z.string().min(1).default('testing'),
    /** The suite file that sources every TCL test (new tests are registered there). */
    tclSuiteFile: z.string().min(1).default('testing/all.test'),
    /** Directory (repo-relative) for generated `.sqltest` files. */
    sqltestDir: z.string().min(1).default('testing/sqltests'),
    /** Binary the TCL harness must drive (the harness defaults to real sqlite3 otherwise). */
    sqliteExec: z.string().min(1).default('scripts/limbo-sqlite3'),
    /** Paths agents may change while reproducing (repo-relative prefixes). */
    simulatorPaths: z
      .array(z.string().min(1))
      .default(['simulator/', 'testing/simulator/', 'sql_generation/']),
    /** Seeds besides the failing one that slow validation runs. */
    validationSeeds: z.number().int().min(0).max(1000).default(10),
    simulatorTimeoutMs: positiveMs.default(20 * 60_000),
    buildTimeoutMs: positiveMs.default(30 * 60_000),
    testTimeoutMs: positiveMs.default(35 * 60_000),
    singleTestTimeoutMs: positiveMs.default(5 * 60_000),
  })
  .strict();
export type TargetConfig = z.infer<typeof targetSchema>;

export const agentSchema = z
  .object({
    /** The Claude Code executable (argv[0]); `claude` from PATH by default. */
    claudePath: z.string().min(1).default('claude'),
    model: z.string().min(1).optional(),
    maxTurns: z.number().int().positive().default(200),
    /** After SIGTERM, how long the agent's process group gets before SIGKILL. */
    killGraceMs: positiveMs.default(10_000),
    /** `--bare` skips CLAUDE.md/AGENTS.md discovery; Turso's guidance matters, so off by default. */
    bare: z.boolean().default(false),
    /** Agent runs per phase; a run whose claim does not verify is retried once with the reason. */
    phaseAttempts: z.number().int().min(1).max(5).default(2),
  })
  .strict();
export type AgentConfig = z.infer<typeof agentSchema>;

export const sandboxSchema = z
  .object({
    backend: z.enum(['auto', 'agentfs', 'overlay', 'worktree']).default('auto'),
    /** Where sandboxes, scratch files and artifacts are created (RUNNER_TEMP on runners). */
    workDir: z.string().min(1).optional(),
    agentfsPath: z.string().min(1).default('agentfs'),
  })
  .strict();
export type SandboxConfig = z.infer<typeof sandboxSchema>;

/** `properties.json`: the seed's fields with the seed's defaults, plus what the pipeline needs. */
export const configSchema = z
  .object({
    tursoUrl: z
      .string({
        error: (issue) => (issue.input === undefined ? 'is required (or set TURSO_URL)' : 'must be a string'),
      })
      .min(1, 'is required (or set TURSO_URL)'),
    tursoAuthToken: z.string().min(1).optional(),
    baseRepoPath: z.string().min(1).default('/opt/turso-base'),
    /** Commit preflight verifies and sandboxes start from; the base repo's HEAD when absent. */
    baseCommit: z
      .string()
      .regex(/^[0-9a-f]{7,40}$/, 'must be a commit SHA')
      .optional(),
    maxParallelPanics: z.number().int().min(1).max(256).default(2),
    reproducerTimeoutMs: positiveMs.default(3_600_000),
    fixerTimeoutMs: positiveMs.default(3_600_000),
    githubToken: z.string().min(1).optional(),
    githubRepo: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'must be owner/name')
      .default('tursodatabase/turso'),
    /** A user (`@name`) or a team (`org/team`); empty for none. */
    prReviewer: z.string().default('@LeMikaelF'),
    prLabels: z.array(z.string().min(1)).default([]),
    /** Base branch PRs target. */
    prBaseBranch: z.string().min(1).default('main'),
    /** Where ship pushes the branch; GitHub over HTTPS (token from githubToken) when absent. */
    pushRemote: z.string().min(1).optional(),
    /** GitHub REST API root (GitHub Enterprise, or a test server). */
    githubApiUrl: z.string().url().default('https://api.github.com'),
    /** Budget-clock port; 0 picks a free one (the default on shared runners). */
    ipcPort: z.number().int().min(0).max(65535).default(9100),
    dryRun: z.boolean().default(false),
    /** Attempts (claims) per panic before it goes to needs_human_review. */
    maxAttempts: z.number().int().min(1).max(20).default(3),
    /** A claim's lease; a crashed worker's panic is reclaimable after it. */
    leaseMs: positiveMs.default(3 * 3_600_000),
    /** Panics claimed by one scheduled run. */
    panicsPerRun: z.number().int().min(1).max(256).default(8),
    target: targetSchema.default(targetSchema.parse({})),
    agent: agentSchema.default(agentSchema.parse({})),
    sandbox: sandboxSchema.default(sandboxSchema.parse({})),
  })
  .strict();
export type Config = z.infer<typeof configSchema>;

/** Fields whose values must never be printed. */
export const SECRET_FIELDS = ['tursoAuthToken', 'githubToken'] as const satisfies readonly (keyof Config)[];
