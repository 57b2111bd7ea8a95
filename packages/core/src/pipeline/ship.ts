import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openOrUpdateDraftPr } from '../github/index.js';
import {
  applyPatchToBase,
  commitMessage,
  commitSquashed,
  fetchBranch,
  prBody,
  prTitle,
  pushBranch,
} from '../ship/index.js';
import { artifactPath, loadArtifact, type LoadedArtifact } from './artifact.js';
import { git } from '../util/git.js';
import {
  assertOurRow,
  errorText,
  failPanic,
  NotOurTurn,
  phaseLog,
  PhaseFailure,
  type PanicJob,
} from './job.js';
import type { PhaseOutcome } from './reproduce.js';

export interface ShipOutcome extends PhaseOutcome {
  prUrl?: string;
  /** Dry run: where the PR body was written instead of opening the PR. */
  prBodyFile?: string;
}

/** Where ship pushes: the configured remote, or the GitHub repository over HTTPS. */
export function pushRemote(job: PanicJob): string {
  return job.config.pushRemote ?? `https://github.com/${job.config.githubRepo}.git`;
}

function bodyFor(job: PanicJob, artifact: LoadedArtifact): string {
  const { context, summary } = artifact;
  return prBody({
    location: job.location,
    message: context.panic_message,
    sqlStatements: context.sql_statements,
    bugDescription: context.bug_description ?? '',
    fixDescription: context.fix_description ?? '',
    whySimulatorMissed: context.why_simulator_missed ?? '',
    simulatorChanges: context.simulator_changes ?? '',
    failingSeed: String(summary.failing_seed),
    validation: { steps: summary.validation },
    phases: summary.phases,
    branch: summary.branch,
    baseCommit: summary.base_commit,
    regressionTest: summary.regression_test.path,
    ...(summary.run_url ? { runUrl: summary.run_url } : {}),
  });
}

/**
 * The branch may already exist: our own earlier push (a re-run after a crash, a requeue) is replaced,
 * but a tip we did not make — a maintainer's commit on the PR — is never force-pushed away.
 */
async function assertOurBranchTip(job: PanicJob, checkout: string, tip: string) {
  const message = await git(checkout, ['log', '-1', '--format=%B', tip]);
  if (!message.split('\n').some((line) => line.trim() === `Panic-fix-slug: ${job.names.slug}`)) {
    throw new PhaseFailure(
      `${job.names.branch} has a commit panic-fix did not make (tip ${tip.slice(0, 12)}); not overwriting it — ` +
        'merge or rebase the fix by hand, or delete the branch and requeue',
    );
  }
}

/**
 * shipping → pr_open. Applies the validated patch in a fresh clone that is never checked out (3-way
 * onto the moved base branch), makes one squashed commit, pushes with a lease and opens or updates the
 * draft PR.
 * Idempotent: a re-run after a crash finds the branch and the PR and updates them.
 */
export async function runShip(job: PanicJob, opts: { dryRun: boolean }): Promise<ShipOutcome> {
  const log = phaseLog(job, 'shipping');
  const checkout = path.join(job.workDir, `ship-${job.names.slug}`);
  try {
    const row = await job.store.require(job.location);
    if (row.status !== 'shipping') {
      log.info(
        `nothing to ship: ${job.location} is ${row.status}${row.workflow_error ? ` (${row.workflow_error.error.slice(0, 300)})` : ''}`,
      );
      return { status: row.status, ...(row.pr_url ? { prUrl: row.pr_url } : {}) };
    }
    assertOurRow(job, row, ['shipping']);
    const artifact = await loadArtifact(job.artifactDir, job.location).catch((error: unknown) => {
      throw new PhaseFailure(`cannot ship: ${errorText(error)}`);
    });
    if (row.base_commit && row.base_commit !== artifact.summary.base_commit) {
      throw new PhaseFailure(
        `the artifact was made on ${artifact.summary.base_commit.slice(0, 12)} but the panic records base ${row.base_commit.slice(0, 12)}`,
      );
    }
    const remote = pushRemote(job);
    const token = job.config.githubToken;

    await rm(checkout, { recursive: true, force: true });
    await mkdir(path.dirname(checkout), { recursive: true });
    // No checkout: applying and committing go through a private index, O(patch) rather than O(tree).
    await git(job.workDir, ['clone', '--quiet', '--no-checkout', '--', job.config.baseRepoPath, checkout]);
    const onto = await fetchBranch({
      repoDir: checkout,
      remote,
      branch: job.config.prBaseBranch,
      ...(token ? { token } : {}),
    }).catch((error: unknown) => {
      log.warn(
        `could not fetch ${job.config.prBaseBranch} from the remote (${errorText(error)}); applying on the base commit`,
      );
      return undefined;
    });
    const applied = await applyPatchToBase({
      repoDir: checkout,
      patchFile: artifact.patchFile,
      baseSha: artifact.summary.base_commit,
      ...(onto ? { ontoRef: onto } : {}),
    });
    if (!applied.ok)
      throw new PhaseFailure(
        `the fix does not apply to ${job.config.prBaseBranch} any more: ${applied.reason}`,
      );
    log.info(
      `patch applied (${applied.applied}) onto ${onto ? `${job.config.prBaseBranch} ${onto.slice(0, 12)}` : `base ${artifact.summary.base_commit.slice(0, 12)}`}`,
    );

    const { context, summary } = artifact;
    const sha = await commitSquashed({
      repoDir: checkout,
      tree: applied.tree,
      parent: applied.head,
      message: commitMessage({
        location: job.location,
        message: context.panic_message,
        rootCause: context.bug_description ?? '',
        fix: context.fix_description ?? '',
        failingSeed: String(summary.failing_seed),
        slug: job.names.slug,
      }),
    });
    const title = prTitle({ location: job.location, message: context.panic_message });
    const body = bodyFor(job, artifact);
    const bodyFile = artifactPath(job.artifactDir, 'prBody');
    await writeFile(bodyFile, body);

    if (opts.dryRun) {
      const patchCopy = path.join(job.artifactDir, 'pr.patch');
      await git(checkout, ['format-patch', '-1', '--stdout', sha]).then((text) =>
        writeFile(patchCopy, `${text}\n`),
      );
      job.reporter.summary(
        `### Dry run: draft PR for \`${job.names.branch}\`\n\n**${title.replace(/[`*_<>[\]]/g, '\\$&')}**\n\n${body}`,
      );
      const prUrl = `dry-run://${job.names.branch}`;
      await job.store.transition({
        location: job.location,
        owner: job.owner,
        from: 'shipping',
        to: 'pr_open',
        set: { pr_url: prUrl },
      });
      log.info(`dry run: no push, no PR; body in ${bodyFile}, patch in ${patchCopy}`);
      return { status: 'pr_open', prUrl, prBodyFile: bodyFile, failingSeed: String(summary.failing_seed) };
    }

    if (!token && !job.config.pushRemote)
      throw new PhaseFailure('no GitHub token (githubToken / GITHUB_TOKEN) to push and open the PR');
    // The lease is the tip pushBranch observes; the tip is checked to be ours before it is replaced.
    const pushed = await pushBranch({
      repoDir: checkout,
      remote,
      branch: job.names.branch,
      commit: sha,
      beforeReplacing: (tip) => assertOurBranchTip(job, checkout, tip),
      ...(token ? { token } : {}),
    });
    log.info(
      pushed.pushed
        ? `pushed ${job.names.branch} (${sha.slice(0, 12)})${pushed.previousSha ? ', replacing an earlier push' : ''}`
        : `${job.names.branch} already holds this fix (${pushed.sha.slice(0, 12)}); nothing to push`,
    );
    if (!token) throw new PhaseFailure('no GitHub token (githubToken / GITHUB_TOKEN) to open the PR');
    const pr = await openOrUpdateDraftPr(
      {
        apiUrl: job.config.githubApiUrl,
        token,
        repo: job.config.githubRepo,
        head: job.names.branch,
        base: job.config.prBaseBranch,
        title,
        body,
        reviewer: job.config.prReviewer,
        labels: job.config.prLabels,
      },
      { log: (message) => log.info(`GitHub: ${message}`) },
    );
    for (const warning of pr.warnings ?? []) log.warn(warning);
    await job.store.transition({
      location: job.location,
      owner: job.owner,
      from: 'shipping',
      to: 'pr_open',
      set: { pr_url: pr.url },
    });
    log.info(`${pr.created ? 'opened' : 'updated'} draft PR ${pr.url}`);
    job.reporter.summary(`### Draft PR ${pr.created ? 'opened' : 'updated'}: ${pr.url}`);
    return { status: 'pr_open', prUrl: pr.url, failingSeed: String(summary.failing_seed) };
  } catch (error) {
    if (error instanceof NotOurTurn) {
      log.warn(`not shipping: ${error.message}`);
      return { status: (await job.store.get(job.location))?.status ?? 'shipping', reason: error.message };
    }
    const reason = errorText(error);
    await failPanic(job, 'shipping', 'shipping', reason, log);
    return { status: 'needs_human_review', reason };
  } finally {
    await rm(checkout, { recursive: true, force: true }).catch(() => undefined);
    await log.flush();
  }
}
