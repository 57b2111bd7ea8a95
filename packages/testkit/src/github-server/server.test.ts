import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startGitHubServer, type GitHubServer } from './server.js';
import { githubOpenApi } from './openapi.js';

const TOKEN = 'ghs_test_token';
const serverOptions = { repo: 'tursodatabase/turso', token: TOKEN, collaborators: ['alice'] };
let server: GitHubServer;

beforeEach(async () => {
  server = await startGitHubServer(serverOptions);
});
afterEach(async () => {
  await server.close();
});

async function call(method: string, path: string, body?: unknown, auth = `token ${TOKEN}`) {
  const res = await fetch(server.url + path, {
    method,
    headers: { authorization: auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
}

describe('github test server', () => {
  it('loads the official api.github.com description', () => {
    const spec = githubOpenApi();
    expect(spec.version).toMatch(/\d/);
    expect(spec.match('GET', '/repos/a/b/pulls', new URLSearchParams(), undefined, false)?.operationId).toBe(
      'pulls/list',
    );
    // A literal segment wins over a parameter: /pulls/comments is not pulls/get with pull_number=comments.
    expect(
      spec.match('GET', '/repos/a/b/pulls/comments', new URLSearchParams(), undefined, false)?.operationId,
    ).toBe('pulls/list-review-comments-for-repo');
  });

  it('serves a valid create → list → update → reviewers → labels sequence with no violations', async () => {
    const created = await call('POST', '/repos/tursodatabase/turso/pulls', {
      title: 'fix: panic',
      head: 'fix/panic-x',
      base: 'main',
      body: 'b',
      draft: true,
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      number: 1,
      draft: true,
      state: 'open',
      head: { ref: 'fix/panic-x' },
    });

    const listed = await call(
      'GET',
      '/repos/tursodatabase/turso/pulls?head=tursodatabase:fix/panic-x&state=open',
    );
    expect(listed.status).toBe(200);
    expect(listed.json).toHaveLength(1);
    const other = await call(
      'GET',
      '/repos/tursodatabase/turso/pulls?head=tursodatabase:fix/other&state=open',
    );
    expect(other.json).toHaveLength(0);

    expect(
      (await call('PATCH', '/repos/tursodatabase/turso/pulls/1', { title: 't2', body: 'b2' })).status,
    ).toBe(200);
    expect(
      (
        await call('POST', '/repos/tursodatabase/turso/pulls/1/requested_reviewers', {
          team_reviewers: ['core'],
        })
      ).status,
    ).toBe(201);
    expect(
      (await call('POST', '/repos/tursodatabase/turso/issues/1/labels', { labels: ['panic'] })).status,
    ).toBe(200);

    expect(server.pulls.get(1)).toMatchObject({
      title: 't2',
      body: 'b2',
      teamReviewers: ['core'],
      labels: ['panic'],
    });
    expect(server.violations).toEqual([]);
  });

  it('rejects a body that violates the schema (draft: "yes") and records the violation', async () => {
    const res = await call('POST', '/repos/tursodatabase/turso/pulls', {
      title: 't',
      head: 'h',
      base: 'main',
      draft: 'yes',
    });
    expect(res.status).toBe(422);
    expect(server.pulls.size).toBe(0);
    expect(server.violations).toHaveLength(1);
    expect(server.violations[0]!.reason).toContain('body.draft: expected boolean');
  });

  it('rejects missing required fields, bad enums, bad path params, unknown query params and endpoints', async () => {
    expect(
      (await call('POST', '/repos/tursodatabase/turso/pulls', { title: 't', base: 'main' })).status,
    ).toBe(422);
    expect((await call('GET', '/repos/tursodatabase/turso/pulls?state=opened')).status).toBe(422);
    expect((await call('GET', '/repos/tursodatabase/turso/pulls/abc')).status).toBe(422);
    expect((await call('GET', '/repos/tursodatabase/turso/pulls?color=red')).status).toBe(422);
    expect((await call('POST', '/repos/tursodatabase/turso/issues/1/labels', { labels: [] })).status).toBe(
      422,
    );
    expect((await call('POST', '/repos/tursodatabase/turso/pulls/1/frobnicate', {})).status).toBe(404);
    expect((await call('POST', '/repos/tursodatabase/turso/pulls', '{not json')).status).toBe(400);
    const reasons = server.violations.map((v) => v.reason);
    expect(reasons).toHaveLength(7);
    expect(reasons[0]).toContain('missing required property "head"');
    expect(reasons[1]).toContain('query.state');
    expect(reasons[2]).toContain('path.pull_number');
    expect(reasons[3]).toContain('unknown parameter "color"');
    expect(reasons[4]).toContain('fewer than 1 items');
    expect(reasons[5]).toContain('no operation');
    expect(reasons[6]).toContain('malformed JSON');
  });

  it('requires the token and never records it', async () => {
    expect((await call('GET', '/repos/tursodatabase/turso', undefined, 'token wrong')).status).toBe(401);
    expect((await call('GET', '/repos/tursodatabase/turso', undefined, `Bearer ${TOKEN}`)).status).toBe(200);
    expect(server.violations.map((v) => v.reason)).toEqual(['missing or wrong authorization']);
    expect(JSON.stringify(server.requests)).not.toContain(TOKEN);
  });

  it('answers like GitHub for a second PR on the same head and for non-collaborator reviewers', async () => {
    const pr = { title: 't', head: 'h', base: 'main', draft: true };
    expect((await call('POST', '/repos/tursodatabase/turso/pulls', pr)).status).toBe(201);
    const dup = await call('POST', '/repos/tursodatabase/turso/pulls', pr);
    expect(dup.status).toBe(422);
    expect(JSON.stringify(dup.json)).toContain('already exists');
    const rev = await call('POST', '/repos/tursodatabase/turso/pulls/1/requested_reviewers', {
      reviewers: ['mallory'],
    });
    expect(rev.status).toBe(422);
    // Valid requests answered with semantic errors are not spec violations.
    expect(server.violations).toEqual([]);
  });

  it('replays injected faults a bounded number of times', async () => {
    server.injectFault({ operationId: 'repos/get', status: 502, times: 2 });
    expect((await call('GET', '/repos/tursodatabase/turso')).status).toBe(502);
    expect((await call('GET', '/repos/tursodatabase/turso')).status).toBe(502);
    expect((await call('GET', '/repos/tursodatabase/turso')).status).toBe(200);
  });

  it('holds a stalled reply, and closing the server ends the stall', async () => {
    server.injectFault({ operationId: 'repos/get', stallMs: 150 });
    const started = Date.now();
    const late = await call('GET', '/repos/tursodatabase/turso');
    expect(late.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);

    server.injectFault({ operationId: 'repos/get', status: 502, stallMs: 60_000 });
    const pending = call('GET', '/repos/tursodatabase/turso').then(
      () => 'answered',
      () => 'connection closed',
    );
    await new Promise((r) => setTimeout(r, 100));
    const closing = Date.now();
    await server.close();
    expect(await pending).toBe('connection closed');
    expect(Date.now() - closing).toBeLessThan(5_000);
    server = await startGitHubServer(serverOptions);
  });
});
