/**
 * Bounded retries for GitHub REST calls: transient failures (5xx, network) back off exponentially;
 * secondary rate limits wait for what GitHub asks (retry-after / x-ratelimit-reset) when that is short
 * enough; everything else (4xx) fails at once with a clear message.
 */

export interface RetryPolicy {
  /** Total tries including the first. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A rate limit asking us to wait longer than this fails instead of stalling the job. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 1000,
  maxDelayMs: 15_000,
  maxRetryAfterMs: 60_000,
};

interface HttpErrorLike {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

export type RetryVerdict = { retry: true; delayMs: number } | { retry: false; reason: string };

/** Decides whether an error from the client is worth retrying, and after how long. */
export function classifyError(
  err: unknown,
  attempt: number,
  policy: RetryPolicy,
  now = Date.now(),
): RetryVerdict {
  const e = (err ?? {}) as HttpErrorLike;
  const status = typeof e.status === 'number' ? e.status : undefined;
  const headers = e.response?.headers ?? {};
  const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));

  if (status === 403 || status === 429) {
    const text = `${e.message ?? ''} ${JSON.stringify(e.response?.data ?? '')}`.toLowerCase();
    const retryAfter = Number(headers['retry-after']);
    const reset = Number(headers['x-ratelimit-reset']);
    let waitMs: number | undefined;
    if (Number.isFinite(retryAfter) && headers['retry-after'] !== undefined) waitMs = retryAfter * 1000;
    else if (String(headers['x-ratelimit-remaining']) === '0' && Number.isFinite(reset))
      waitMs = Math.max(0, reset * 1000 - now);
    else if (text.includes('secondary rate limit')) waitMs = 60_000;
    if (waitMs === undefined) return { retry: false, reason: `HTTP ${status}` };
    if (waitMs > policy.maxRetryAfterMs)
      return { retry: false, reason: `rate limited; GitHub asks to wait ${Math.ceil(waitMs / 1000)} s` };
    return { retry: true, delayMs: waitMs };
  }
  // Octokit reports a failed fetch (connection refused/reset) as status 500 without a response.
  if (status === undefined || status >= 500) return { retry: true, delayMs: backoff };
  return { retry: false, reason: `HTTP ${status}` };
}

export async function withRetry<T>(
  label: string,
  fn: () => Promise<T>,
  policy: RetryPolicy,
  onRetry?: (message: string) => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const verdict = classifyError(err, attempt, policy);
      if (!verdict.retry || attempt >= policy.attempts) throw new GitHubApiError(label, err, attempt);
      onRetry?.(
        `${label}: ${describeError(err)}; retry ${attempt}/${policy.attempts - 1} in ${verdict.delayMs} ms`,
      );
      await new Promise((r) => setTimeout(r, verdict.delayMs));
    }
  }
}

/** Status + GitHub's message only: never the request (whose headers carry the token). */
export function describeError(err: unknown): string {
  const e = (err ?? {}) as HttpErrorLike;
  const data = e.response?.data as { message?: unknown; errors?: unknown } | undefined;
  const detail = data?.errors ? ` ${JSON.stringify(data.errors).slice(0, 500)}` : '';
  const message = typeof data?.message === 'string' ? data.message : (e.message ?? String(err));
  // No response (reset, refused, timed out): the client's stand-in status 500 would only mislead.
  const status = e.status !== undefined && e.response !== undefined ? `HTTP ${e.status}: ` : '';
  return `${status}${message.slice(0, 500)}${detail}`;
}

export class GitHubApiError extends Error {
  readonly status: number | undefined;
  constructor(label: string, cause: unknown, attempts: number) {
    super(`GitHub ${label} failed after ${attempts} attempt(s): ${describeError(cause)}`);
    this.name = 'GitHubApiError';
    this.status = (cause as HttpErrorLike | undefined)?.status;
  }
}
