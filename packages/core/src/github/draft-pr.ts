import { getOctokit } from '@actions/github';
import { z } from 'zod';
import {
  DEFAULT_RETRY,
  GitHubApiError,
  classifyError,
  describeError,
  withRetry,
  type RetryPolicy,
} from './retry.js';

export const draftPrInputSchema = z.object({
  apiUrl: z.string().url(),
  token: z.string(),
  repo: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'repo must be owner/name'),
  head: z.string().min(1),
  base: z.string().min(1),
  title: z.string().min(1),
  body: z.string(),
  /** '@user', 'user', 'org/team' or '@org/team'; several separated by commas or spaces; '' for none. */
  reviewer: z.string().optional().default(''),
  labels: z.array(z.string().min(1)).default([]),
});
export type DraftPrInput = z.input<typeof draftPrInputSchema>;

/** The pull request opened or updated (dry runs never get here: ship writes the body to the artifact). */
export interface DraftPrResult {
  number: number;
  url: string;
  created: boolean;
  warnings: string[];
}

export interface DraftPrOptions {
  retry?: Partial<RetryPolicy>;
  /** One request (headers and body) gets this long before it counts as a transient failure. */
  requestTimeoutMs?: number;
  /** Progress and retry notes (never contains the token). */
  log?: (message: string) => void;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export interface ReviewerRequest {
  reviewers: string[];
  team_reviewers: string[];
}

/** '@alice, org/core-team' → users ['alice'], teams ['core-team'] (the REST API wants team slugs). */
export function parseReviewers(spec: string): ReviewerRequest {
  const out: ReviewerRequest = { reviewers: [], team_reviewers: [] };
  for (const raw of spec.split(/[\s,]+/)) {
    const item = raw.replace(/^@/, '');
    if (!item) continue;
    const slash = item.indexOf('/');
    if (slash >= 0) out.team_reviewers.push(item.slice(slash + 1));
    else out.reviewers.push(item);
  }
  return out;
}

/**
 * Opens the draft PR for `head`, or updates the title/body of the open one for that branch so a re-run
 * never opens a second PR. Reviewer and label failures are warnings: the PR itself is what matters.
 */
export async function openOrUpdateDraftPr(
  input: DraftPrInput,
  options: DraftPrOptions = {},
): Promise<DraftPrResult> {
  const args = draftPrInputSchema.parse(input);
  if (!args.token) throw new Error('openOrUpdateDraftPr: a GitHub token is required');

  const policy: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  const log = options.log ?? (() => {});
  const [owner, repo] = args.repo.split('/') as [string, string];
  const silent = () => {};
  const octokit = getOctokit(args.token, {
    baseUrl: args.apiUrl.replace(/\/+$/, ''),
    log: { debug: silent, info: silent, warn: (m: string) => log(m), error: silent },
  });
  // A GitHub that accepts the connection and never answers would otherwise hold the job until its own
  // timeout; a stalled request is aborted and retried like a dropped connection.
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  octokit.hook.wrap('request', async (request, requestOptions) => {
    const controller = new AbortController();
    const reason = new Error(`no answer from GitHub within ${requestTimeoutMs} ms`);
    reason.name = 'TimeoutError';
    const timer = setTimeout(() => controller.abort(reason), requestTimeoutMs);
    // Set in place: hooks further in are bound to this same options object, not to what we pass on.
    requestOptions.request = { ...requestOptions.request, signal: controller.signal };
    try {
      return await request(requestOptions);
    } finally {
      clearTimeout(timer);
    }
  });
  const warnings: string[] = [];
  const retry = <T>(label: string, fn: () => Promise<T>) => withRetry(label, fn, policy, log);

  const findOpen = async () => {
    const res = await retry('list pull requests', () =>
      octokit.rest.pulls.list({ owner, repo, head: `${owner}:${args.head}`, state: 'open', per_page: 100 }),
    );
    return res.data.find((p) => p.head.ref === args.head);
  };
  const update = async (pullNumber: number) => {
    const res = await retry('update pull request', () =>
      octokit.rest.pulls.update({
        owner,
        repo,
        pull_number: pullNumber,
        title: args.title,
        body: args.body,
        base: args.base,
      }),
    );
    return res.data;
  };

  // Creation is not idempotent, so it is never retried blindly: after any failure we look again for
  // the PR (a timed-out create may have succeeded) before trying to create it once more.
  let pr: { number: number; html_url: string } | undefined;
  let created = false;
  for (let attempt = 1; pr === undefined; attempt++) {
    const existing = await findOpen();
    if (existing) {
      log(`updating open pull request #${existing.number} for ${args.head}`);
      pr = await update(existing.number);
      break;
    }
    try {
      const res = await octokit.rest.pulls.create({
        owner,
        repo,
        head: args.head,
        base: args.base,
        title: args.title,
        body: args.body,
        draft: true,
      });
      pr = res.data;
      created = true;
    } catch (err) {
      const alreadyExists =
        (err as { status?: number }).status === 422 && /already exists/i.test(describeError(err));
      // Someone (a concurrent run, or our own timed-out create) opened it meanwhile: go find it.
      if (alreadyExists && attempt < policy.attempts) continue;
      const verdict = classifyError(err, attempt, policy);
      if (!verdict.retry || attempt >= policy.attempts)
        throw new GitHubApiError('create pull request', err, attempt);
      log(`create pull request: ${describeError(err)}; looking again in ${verdict.delayMs} ms`);
      await new Promise((r) => setTimeout(r, verdict.delayMs));
    }
  }

  const reviewers = parseReviewers(args.reviewer);
  if (reviewers.reviewers.length + reviewers.team_reviewers.length > 0) {
    try {
      await retry('request reviewers', () =>
        octokit.rest.pulls.requestReviewers({
          owner,
          repo,
          pull_number: pr.number,
          ...(reviewers.reviewers.length ? { reviewers: reviewers.reviewers } : {}),
          ...(reviewers.team_reviewers.length ? { team_reviewers: reviewers.team_reviewers } : {}),
        }),
      );
    } catch (err) {
      warnings.push(
        `could not request reviewer ${args.reviewer}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  if (args.labels.length > 0) {
    try {
      await retry('add labels', () =>
        octokit.rest.issues.addLabels({ owner, repo, issue_number: pr.number, labels: args.labels }),
      );
    } catch (err) {
      warnings.push(`could not add labels: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return { number: pr.number, url: pr.html_url, created, warnings };
}
