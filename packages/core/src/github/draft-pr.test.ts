import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startGitHubServer, type GitHubServer } from '../../../testkit/src/github-server/index.js';
import { openOrUpdateDraftPr, parseReviewers, type DraftPrInput } from './draft-pr.js';
import { classifyError, DEFAULT_RETRY } from './retry.js';
import { prBody, prTitle } from '../ship/pr-text.js';

const TOKEN = 'ghs_secret_value_123';
const fastRetry = { retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 2000 } };
let server: GitHubServer;

beforeEach(async () => {
  server = await startGitHubServer({
    repo: 'tursodatabase/turso',
    token: TOKEN,
    collaborators: ['alice'],
    teams: ['core-team'],
  });
});
afterEach(async () => {
  // Every request the client made must conform to GitHub's OpenAPI description.
  expect(server.violations).toEqual([]);
  await server.close();
});

function input(overrides: Partial<DraftPrInput> = {}): DraftPrInput {
  return {
    apiUrl: server.url,
    token: TOKEN,
    repo: 'tursodatabase/turso',
    head: 'fix/panic-core-vdbe-execute-rs-12',
    base: 'main',
    title: 'fix: panic at core/vdbe/execute.rs:12',
    body: 'first body',
    reviewer: '@alice',
    labels: ['panic-fix', 'bug'],
    ...overrides,
  };
}

describe('openOrUpdateDraftPr', () => {
  it('creates a draft PR, then updates the same PR on a second call', async () => {
    const logs: string[] = [];
    const first = await openOrUpdateDraftPr(input(), { ...fastRetry, log: (m) => logs.push(m) });
    expect(first).toMatchObject({ number: 1, created: true, warnings: [] });
    expect(first.url).toBe(`${server.url}/tursodatabase/turso/pull/1`);
    expect(server.pulls.get(1)).toMatchObject({
      draft: true,
      head: 'fix/panic-core-vdbe-execute-rs-12',
      base: 'main',
      reviewers: ['alice'],
      teamReviewers: [],
      labels: ['panic-fix', 'bug'],
    });

    const second = await openOrUpdateDraftPr(input({ title: 'new title', body: 'second body' }), fastRetry);
    expect(second).toMatchObject({ number: 1, created: false, warnings: [] });
    expect(server.pulls.size).toBe(1);
    expect(server.pulls.get(1)).toMatchObject({
      title: 'new title',
      body: 'second body',
      labels: ['panic-fix', 'bug'],
    });
    expect(server.requests.filter((r) => r.operationId === 'pulls/create')).toHaveLength(1);
    expect(JSON.stringify(server.requests) + logs.join('\n')).not.toContain(TOKEN);
    expect(server.requests.every((r) => r.authorized)).toBe(true);
  });

  it('requests a team reviewer by slug', async () => {
    await openOrUpdateDraftPr(input({ reviewer: 'tursodatabase/core-team', labels: [] }), fastRetry);
    expect(server.pulls.get(1)).toMatchObject({ reviewers: [], teamReviewers: ['core-team'], labels: [] });
    const req = server.requests.find((r) => r.operationId === 'pulls/request-reviewers');
    expect(req?.body).toEqual({ team_reviewers: ['core-team'] });
    // No labels → no add-labels call (the API requires at least one).
    expect(server.requests.some((r) => r.operationId === 'issues/add-labels')).toBe(false);
  });

  it('makes no reviewer request for an empty reviewer', async () => {
    await openOrUpdateDraftPr(input({ reviewer: '' }), fastRetry);
    expect(server.requests.some((r) => r.operationId === 'pulls/request-reviewers')).toBe(false);
  });

  it('turns a reviewer failure into a warning, keeping the PR and labels', async () => {
    const result = await openOrUpdateDraftPr(input({ reviewer: '@mallory' }), fastRetry);
    expect(result.number).toBe(1);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain('Reviews may only be requested from collaborators');
    expect(result.warnings[0]).not.toContain(TOKEN);
    expect(server.pulls.get(1)?.labels).toEqual(['panic-fix', 'bug']);
  });

  it('retries transient 5xx on reads and a failed create without opening two PRs', async () => {
    server.injectFault({ operationId: 'pulls/list', status: 502, times: 1 });
    server.injectFault({ operationId: 'pulls/create', status: 503, times: 1 });
    const result = await openOrUpdateDraftPr(input(), fastRetry);
    expect(result).toMatchObject({ number: 1, created: true });
    expect(server.pulls.size).toBe(1);
    // list (502) → list → create (503) → list → create
    expect(server.requests.map((r) => `${r.operationId}:${r.status}`).slice(0, 5)).toEqual([
      'pulls/list:502',
      'pulls/list:200',
      'pulls/create:503',
      'pulls/list:200',
      'pulls/create:201',
    ]);
  });

  it('gives up on a request GitHub never answers and retries it, instead of hanging', async () => {
    server.injectFault({ operationId: 'pulls/list', status: 200, stallMs: 60_000 });
    const started = Date.now();
    const result = await openOrUpdateDraftPr(input(), { ...fastRetry, requestTimeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result).toMatchObject({ number: 1, created: true });
    expect(server.pulls.size).toBe(1);
  });

  it('a create that succeeded but answered too late is found, not opened twice', async () => {
    // The PR is created at once; only the answer is held past the client's timeout.
    server.injectFault({ operationId: 'pulls/create', stallMs: 60_000 });
    const result = await openOrUpdateDraftPr(input(), { ...fastRetry, requestTimeoutMs: 300 });
    expect(result).toMatchObject({ number: 1, created: false });
    expect(server.pulls.size).toBe(1);
    expect(server.requests.map((r) => r.operationId)).toEqual([
      'pulls/list',
      'pulls/create',
      'pulls/list',
      'pulls/update',
      'pulls/request-reviewers',
      'issues/add-labels',
    ]);
  });

  it('names the timeout, not a made-up HTTP status, when GitHub stays silent every time', async () => {
    server.injectFault({ operationId: 'pulls/list', status: 200, stallMs: 60_000, times: 3 });
    const error = await openOrUpdateDraftPr(input(), { ...fastRetry, requestTimeoutMs: 200 }).catch(
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(
      'GitHub list pull requests failed after 3 attempt(s): no answer from GitHub within 200 ms',
    );
    expect(server.pulls.size).toBe(0);
  });

  it('waits out a short secondary rate limit (retry-after) and fails clearly past the bound', async () => {
    server.injectFault({
      operationId: 'pulls/list',
      status: 403,
      headers: { 'retry-after': '0' },
      message: 'You have exceeded a secondary rate limit',
    });
    expect((await openOrUpdateDraftPr(input(), fastRetry)).number).toBe(1);

    server.injectFault({ operationId: 'pulls/list', status: 429, headers: { 'retry-after': '3600' } });
    await expect(openOrUpdateDraftPr(input(), fastRetry)).rejects.toThrow(
      /list pull requests failed after 1 attempt/,
    );
  });

  it('fails at once with a clear error on a 4xx and gives up after bounded 5xx retries', async () => {
    server.injectFault({ operationId: 'pulls/list', status: 404, message: 'Not Found' });
    await expect(openOrUpdateDraftPr(input(), fastRetry)).rejects.toThrow('HTTP 404: Not Found');
    server.injectFault({ operationId: 'pulls/list', status: 500, times: 3 });
    await expect(openOrUpdateDraftPr(input(), fastRetry)).rejects.toThrow(/after 3 attempt/);
    expect(server.pulls.size).toBe(0);
  });

  it('carries a full-size adversarial PR body and title unchanged through the API', async () => {
    const huge = '`'.repeat(10) + ' @octocat <script>\u0000 $(x) '.repeat(50_000);
    const body = prBody({
      location: 'core/vdbe/execute.rs:1:1',
      message: huge,
      sqlStatements: [huge],
      bugDescription: huge,
      branch: 'fix/panic-x',
      baseCommit: 'abc',
    });
    const title = prTitle({ location: `core/${'ü'.repeat(100)}.rs:1:1` });
    await openOrUpdateDraftPr(input({ title, body }), fastRetry);
    expect(server.pulls.get(1)?.body).toBe(body);
    expect(server.pulls.get(1)?.title).toBe(title);
    expect(body.length).toBeLessThanOrEqual(65_536);
  });

  it('refuses to start without a token, before any request', async () => {
    await expect(openOrUpdateDraftPr(input({ token: '' }), fastRetry)).rejects.toThrow(
      /a GitHub token is required/,
    );
    expect(server.requests).toHaveLength(0);
  });
});

describe('parseReviewers / classifyError', () => {
  it('splits users and team slugs', () => {
    expect(parseReviewers('@alice, org/core-team bob @org/infra')).toEqual({
      reviewers: ['alice', 'bob'],
      team_reviewers: ['core-team', 'infra'],
    });
    expect(parseReviewers('')).toEqual({ reviewers: [], team_reviewers: [] });
  });

  it('classifies network failures as transient and plain 4xx as final', () => {
    expect(classifyError(new Error('fetch failed'), 1, DEFAULT_RETRY).retry).toBe(true);
    expect(classifyError({ status: 422 }, 1, DEFAULT_RETRY).retry).toBe(false);
    expect(classifyError({ status: 403 }, 1, DEFAULT_RETRY).retry).toBe(false);
    const reset = { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '1010' };
    expect(classifyError({ status: 403, response: { headers: reset } }, 1, DEFAULT_RETRY, 1_000_000)).toEqual(
      {
        retry: true,
        delayMs: 10_000,
      },
    );
  });
});
