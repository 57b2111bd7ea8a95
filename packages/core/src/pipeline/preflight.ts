import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { panicNames } from '../naming.js';
import { skipReason } from '../skip-gate/index.js';
import type { PanicStore } from '../store/panic-store.js';
import { TERMINAL_STATUSES } from '../state/machine.js';
import { describeExit, runCommand } from '../util/run-command.js';
import type { Reporter } from './reporter.js';
import { git } from '../util/git.js';

/** GitHub allows at most 256 jobs per matrix. */
export const MATRIX_LIMIT = 256;

export interface MatrixEntry {
  location: string;
  slug: string;
  attempt: number;
}

export interface PreflightResult {
  baseCommit: string;
  verdict: { ok: true; cached: boolean; durationMs: number };
  reclaimed: { requeued: string[]; exhausted: string[] };
  skipped: { location: string; reason: string }[];
  claimed: MatrixEntry[];
  maxParallel: number;
}

export class PreflightError extends Error {
  override name = 'PreflightError';
}

/** What the verdict depends on besides the commit: the commands that were run. */
export function preflightConfigHash(config: Config): string {
  const { buildCommand, testCommand } = config.target;
  return createHash('sha256')
    .update(JSON.stringify({ buildCommand, testCommand }))
    .digest('hex')
    .slice(0, 16);
}

/** The base repo must be a clean checkout at the expected commit: sandboxes overlay it as is. */
export async function verifyBaseRepo(config: Config): Promise<string> {
  const repo = config.baseRepoPath;
  const head = await git(repo, ['rev-parse', 'HEAD']).catch((error: Error) => {
    throw new PreflightError(`base repository ${repo} is not a git checkout: ${error.message}`);
  });
  if (config.baseCommit) {
    const expected = await git(repo, ['rev-parse', `${config.baseCommit}^{commit}`]).catch(() => {
      throw new PreflightError(`base commit ${config.baseCommit} is not in ${repo}`);
    });
    if (expected !== head) {
      throw new PreflightError(
        `base repository ${repo} is at ${head.slice(0, 12)}, expected ${expected.slice(0, 12)}`,
      );
    }
  }
  const dirty = await git(repo, ['status', '--porcelain']);
  if (dirty) {
    const files = dirty.split('\n').slice(0, 10).join(', ');
    throw new PreflightError(
      `base repository ${repo} has uncommitted changes (${files}); sandboxes need a clean base`,
    );
  }
  return head;
}

async function verifyBuildAndTests(
  config: Config,
  store: PanicStore,
  baseCommit: string,
  reporter: Reporter,
  signal?: AbortSignal,
) {
  const hash = preflightConfigHash(config);
  const cached = await store.preflightVerdict(baseCommit, hash);
  if (cached?.ok) {
    reporter.log(
      'info',
      `base ${baseCommit.slice(0, 12)} already verified at ${cached.verifiedAt}; not rebuilding`,
    );
    return { ok: true as const, cached: true, durationMs: 0 };
  }
  const started = Date.now();
  const steps = [
    { name: 'build', argv: config.target.buildCommand, timeoutMs: config.target.buildTimeoutMs },
    { name: 'tests', argv: config.target.testCommand, timeoutMs: config.target.testTimeoutMs },
  ];
  for (const step of steps) {
    const result = await reporter.group(`preflight ${step.name}: ${step.argv.join(' ')}`, () =>
      runCommand({
        argv: step.argv,
        cwd: config.baseRepoPath,
        timeoutMs: step.timeoutMs,
        tailBytes: 8 * 1024,
        ...(signal ? { signal } : {}),
        onOutput: (chunk) => reporter.log('debug', chunk.toString('utf8').trimEnd()),
      }),
    );
    if (result.exitCode !== 0) {
      const detail = `${step.name} failed (${step.argv.join(' ')}: ${describeExit(result)})\n${result.tail.slice(-4000)}`;
      // Failures are recorded but re-checked next run: a flaky or fixed environment should not block forever.
      await store.savePreflightVerdict({
        baseCommit,
        configHash: hash,
        ok: false,
        detail,
        durationMs: Date.now() - started,
      });
      throw new PreflightError(`base ${baseCommit.slice(0, 12)} does not pass preflight: ${detail}`);
    }
  }
  const durationMs = Date.now() - started;
  await store.savePreflightVerdict({
    baseCommit,
    configHash: hash,
    ok: true,
    detail: 'build and tests passed',
    durationMs,
  });
  return { ok: true as const, cached: false, durationMs };
}

/**
 * The pending state's gate: reclaim expired leases, verify the base once per commit, skip
 * unimplemented-feature panics, then claim up to N panics and describe them as a matrix.
 */
export async function runPreflight(args: {
  config: Config;
  store: PanicStore;
  owner: string;
  reporter: Reporter;
  location?: string;
  runUrl?: string;
  signal?: AbortSignal;
}): Promise<PreflightResult> {
  const { config, store, reporter } = args;
  const reclaimed = await store.reclaimExpired({ maxAttempts: config.maxAttempts });
  for (const loc of reclaimed.requeued) reporter.log('warn', `lease expired, requeued: ${loc}`);
  for (const loc of reclaimed.exhausted)
    reporter.annotate('error', 'Out of attempts', `${loc} → needs_human_review`);

  const baseCommit = await verifyBaseRepo(config);
  const verdict = await verifyBuildAndTests(config, store, baseCommit, reporter, args.signal);

  const skipped: PreflightResult['skipped'] = [];
  const limit = Math.min(config.panicsPerRun, MATRIX_LIMIT);
  let claimedRows;
  if (args.location !== undefined) {
    const row = await store.require(args.location);
    if (TERMINAL_STATUSES.includes(row.status)) {
      reporter.log('info', `re-running ${args.location} from ${row.status} on request`);
      await store.requeue(args.location);
    }
    // An explicit request bypasses the skip gate: a maintainer asked for this panic.
    claimedRows = await store.claim({
      owner: args.owner,
      limit: 1,
      leaseMs: config.leaseMs,
      location: args.location,
      ...(args.runUrl ? { runUrl: args.runUrl } : {}),
    });
    if (claimedRows.length === 0) {
      const now = await store.require(args.location);
      throw new PreflightError(
        `cannot claim ${args.location}: it is ${now.status} (claimed by ${now.claim_owner ?? 'nobody'})`,
      );
    }
  } else {
    for (const row of await store.list({ status: 'pending' })) {
      const skip = skipReason(row.panic_message);
      if (!skip) continue;
      await store.skip(row.panic_location, skip.reason).then(
        () => skipped.push({ location: row.panic_location, reason: skip.reason }),
        () => undefined, // claimed by someone else meanwhile
      );
    }
    claimedRows = await store.claim({
      owner: args.owner,
      limit,
      leaseMs: config.leaseMs,
      ...(args.runUrl ? { runUrl: args.runUrl } : {}),
    });
  }
  return {
    baseCommit,
    verdict,
    reclaimed,
    skipped,
    claimed: claimedRows.map((r) => ({
      location: r.panic_location,
      slug: panicNames(r.panic_location).slug,
      attempt: r.attempt,
    })),
    maxParallel: config.maxParallelPanics,
  };
}
