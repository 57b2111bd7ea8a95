import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { githubOpenApi, type MatchedOperation } from './openapi.js';

/**
 * An in-memory stand-in for the GitHub REST API, covering the operations the ship step uses. Every
 * request is checked against GitHub's official OpenAPI description; anything that does not conform
 * (or that the description does not know) is answered with a 4xx and recorded as a violation, so
 * tests can assert that the client only ever speaks valid GitHub REST.
 */

export interface GitHubServerOptions {
  /** 'owner/name' — the only repository this server hosts. */
  repo: string;
  token: string;
  /** When set, only these user logins may be requested as reviewers (others → 422 like GitHub). */
  collaborators?: string[];
  /** When set, only these team slugs may be requested as reviewers. */
  teams?: string[];
  defaultBranch?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  operationId?: string;
  body?: unknown;
  status: number;
  /** True when an authorization header was present (its value is never recorded). */
  authorized: boolean;
}

export interface Violation {
  method: string;
  path: string;
  reason: string;
}

export interface StoredPull {
  number: number;
  head: string;
  base: string;
  title: string;
  body: string | null;
  draft: boolean;
  state: 'open' | 'closed';
  labels: string[];
  reviewers: string[];
  teamReviewers: string[];
  createdAt: string;
  updatedAt: string;
}

/** A scripted failure for the next matching requests, to exercise retries and error handling. */
export interface Fault {
  operationId: string;
  /** Reply with this status instead of handling the request. Absent: the request is handled as usual. */
  status?: number;
  times?: number;
  headers?: Record<string, string>;
  message?: string;
  /**
   * Hold the reply this long. Without `status` the request takes effect first and only its answer is
   * late: a create that succeeded while the client gave up waiting.
   */
  stallMs?: number;
}

export interface GitHubServer {
  url: string;
  pulls: Map<number, StoredPull>;
  requests: RecordedRequest[];
  violations: Violation[];
  specVersion: string;
  injectFault(fault: Fault): void;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export async function startGitHubServer(options: GitHubServerOptions): Promise<GitHubServer> {
  const [owner, name] = options.repo.split('/');
  if (!owner || !name) throw new Error(`repo must be owner/name, got ${options.repo}`);
  const spec = githubOpenApi();
  const pulls = new Map<number, StoredPull>();
  const requests: RecordedRequest[] = [];
  const violations: Violation[] = [];
  const faults: Fault[] = [];
  // Pending stalls end early when the server closes, so a held reply never outlives a test.
  const stalls = new Set<() => void>();
  const stall = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        stalls.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      stalls.add(done);
    });
  let nextNumber = 1;
  let url = '';

  const repoJson = () => ({
    id: 1,
    node_id: 'R_1',
    name,
    full_name: `${owner}/${name}`,
    private: false,
    owner: userJson(owner),
    html_url: `${url}/${owner}/${name}`,
    url: `${url}/repos/${owner}/${name}`,
    default_branch: options.defaultBranch ?? 'main',
  });
  const pullJson = (p: StoredPull) => ({
    id: 1000 + p.number,
    node_id: `PR_${p.number}`,
    number: p.number,
    url: `${url}/repos/${owner}/${name}/pulls/${p.number}`,
    html_url: `${url}/${owner}/${name}/pull/${p.number}`,
    state: p.state,
    draft: p.draft,
    locked: false,
    merged: false,
    title: p.title,
    body: p.body,
    user: userJson('panic-fix-bot'),
    labels: p.labels.map(labelJson),
    requested_reviewers: p.reviewers.map(userJson),
    requested_teams: p.teamReviewers.map((slug) => ({ id: 1, slug, name: slug })),
    head: {
      label: `${owner}:${p.head}`,
      ref: p.head,
      sha: '0'.repeat(40),
      repo: repoJson(),
      user: userJson(owner),
    },
    base: {
      label: `${owner}:${p.base}`,
      ref: p.base,
      sha: '0'.repeat(40),
      repo: repoJson(),
      user: userJson(owner),
    },
    created_at: p.createdAt,
    updated_at: p.updatedAt,
  });

  function handle(op: MatchedOperation, body: Record<string, unknown>): Reply {
    const params = op.pathParams;
    if (params.owner !== undefined && (String(params.owner) !== owner || String(params.repo) !== name)) {
      return { status: 404, body: { message: 'Not Found' } };
    }
    const pullFor = (n: unknown) => pulls.get(Number(n));
    const now = new Date().toISOString();
    switch (op.operationId) {
      case 'repos/get':
        return { status: 200, body: repoJson() };
      case 'pulls/list': {
        const state = (op.query.state as string | undefined) ?? 'open';
        const head = op.query.head as string | undefined;
        const base = op.query.base as string | undefined;
        const list = [...pulls.values()].filter(
          (p) =>
            (state === 'all' || p.state === state) &&
            (head === undefined || head === `${owner}:${p.head}`) &&
            (base === undefined || base === p.base),
        );
        return { status: 200, body: list.map(pullJson) };
      }
      case 'pulls/create': {
        const head = String(body.head);
        const headRef = head.includes(':') ? head.slice(head.indexOf(':') + 1) : head;
        if (typeof body.title !== 'string')
          return unprocessable('title is required (issue conversion unsupported)');
        const dup = [...pulls.values()].find((p) => p.state === 'open' && p.head === headRef);
        if (dup) return unprocessable(`A pull request already exists for ${owner}:${headRef}.`);
        const pull: StoredPull = {
          number: nextNumber++,
          head: headRef,
          base: String(body.base),
          title: body.title,
          body: typeof body.body === 'string' ? body.body : null,
          draft: body.draft === true,
          state: 'open',
          labels: [],
          reviewers: [],
          teamReviewers: [],
          createdAt: now,
          updatedAt: now,
        };
        pulls.set(pull.number, pull);
        return { status: 201, body: pullJson(pull), headers: { location: pullJson(pull).url } };
      }
      case 'pulls/get': {
        const p = pullFor(params.pull_number);
        return p ? { status: 200, body: pullJson(p) } : { status: 404, body: { message: 'Not Found' } };
      }
      case 'pulls/update': {
        const p = pullFor(params.pull_number);
        if (!p) return { status: 404, body: { message: 'Not Found' } };
        if (typeof body.title === 'string') p.title = body.title;
        if (typeof body.body === 'string') p.body = body.body;
        if (typeof body.base === 'string') p.base = body.base;
        if (body.state === 'open' || body.state === 'closed') p.state = body.state;
        p.updatedAt = now;
        return { status: 200, body: pullJson(p) };
      }
      case 'pulls/request-reviewers': {
        const p = pullFor(params.pull_number);
        if (!p) return { status: 404, body: { message: 'Not Found' } };
        const users = (body.reviewers as string[] | undefined) ?? [];
        const teams = (body.team_reviewers as string[] | undefined) ?? [];
        if (users.length === 0 && teams.length === 0)
          return unprocessable('reviewers or team_reviewers required');
        const badUser = options.collaborators && users.find((u) => !options.collaborators!.includes(u));
        const badTeam = options.teams && teams.find((t) => !options.teams!.includes(t));
        if (badUser || badTeam) return unprocessable('Reviews may only be requested from collaborators.');
        for (const u of users) if (!p.reviewers.includes(u)) p.reviewers.push(u);
        for (const t of teams) if (!p.teamReviewers.includes(t)) p.teamReviewers.push(t);
        return { status: 201, body: pullJson(p) };
      }
      case 'issues/add-labels': {
        const p = pullFor(params.issue_number);
        if (!p) return { status: 404, body: { message: 'Not Found' } };
        const raw = Array.isArray(body) ? body : ((body.labels as unknown[] | undefined) ?? []);
        for (const l of raw) {
          const labelName = typeof l === 'string' ? l : String((l as { name: unknown }).name);
          if (!p.labels.includes(labelName)) p.labels.push(labelName);
        }
        return { status: 200, body: p.labels.map(labelJson) };
      }
      case 'issues/list-labels-on-issue': {
        const p = pullFor(params.issue_number);
        return p
          ? { status: 200, body: p.labels.map(labelJson) }
          : { status: 404, body: { message: 'Not Found' } };
      }
      default:
        return {
          status: 501,
          body: { message: `${op.operationId} is valid but not implemented by the test server` },
        };
    }
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    const record: RecordedRequest = {
      method,
      path: parsed.pathname,
      query: Object.fromEntries(parsed.searchParams),
      status: 0,
      authorized: req.headers.authorization !== undefined,
    };
    requests.push(record);
    const reply = (r: Reply, violation?: string) => {
      record.status = r.status;
      if (violation) violations.push({ method, path: parsed.pathname, reason: violation });
      res.writeHead(r.status, { 'content-type': 'application/json; charset=utf-8', ...r.headers });
      res.end(r.body === undefined ? '' : JSON.stringify(r.body));
    };

    const auth = req.headers.authorization ?? '';
    const m = /^(?:token|bearer) (.+)$/i.exec(auth);
    if (!m || m[1] !== options.token) {
      reply({ status: 401, body: { message: 'Bad credentials' } }, 'missing or wrong authorization');
      return;
    }

    let body: unknown;
    const hasBody = raw.length > 0;
    if (hasBody) {
      const type = req.headers['content-type'] ?? '';
      if (!type.startsWith('application/json')) {
        reply(
          { status: 415, body: { message: 'Unsupported Media Type' } },
          `content-type ${type} is not JSON`,
        );
        return;
      }
      try {
        body = JSON.parse(raw);
      } catch {
        reply({ status: 400, body: { message: 'Problems parsing JSON' } }, 'malformed JSON body');
        return;
      }
    }
    record.body = body;

    const op = spec.match(method, parsed.pathname, parsed.searchParams, body, hasBody);
    if (!op) {
      reply(
        { status: 404, body: { message: 'Not Found' } },
        `no operation ${method} ${parsed.pathname} in the spec`,
      );
      return;
    }
    record.operationId = op.operationId;
    if (op.errors.length > 0) {
      reply(
        { status: 422, body: { message: 'Validation Failed', errors: op.errors } },
        `${op.operationId}: ${op.errors.join('; ')}`,
      );
      return;
    }
    const faultIndex = faults.findIndex((f) => f.operationId === op.operationId);
    if (faultIndex >= 0) {
      const fault = faults[faultIndex]!;
      fault.times = (fault.times ?? 1) - 1;
      if (fault.times <= 0) faults.splice(faultIndex, 1);
      const answer: Reply =
        fault.status === undefined
          ? handle(op, (body ?? {}) as Record<string, unknown>)
          : {
              status: fault.status,
              body: { message: fault.message ?? 'injected fault' },
              headers: fault.headers,
            };
      if (fault.stallMs) await stall(fault.stallMs);
      if (!res.destroyed) reply(answer);
      return;
    }
    const result = handle(op, (body ?? {}) as Record<string, unknown>);
    reply(result, result.status === 501 ? (result.body as { message: string }).message : undefined);
  }

  const server = createServer((req, res) => {
    onRequest(req, res).catch((err: unknown) => {
      violations.push({
        method: req.method ?? '',
        path: req.url ?? '',
        reason: `server error: ${String(err)}`,
      });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    pulls,
    requests,
    violations,
    specVersion: spec.version,
    injectFault: (fault) => faults.push({ times: 1, ...fault }),
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const done of [...stalls]) done();
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

function unprocessable(message: string): Reply {
  return { status: 422, body: { message: 'Validation Failed', errors: [{ message }] } };
}

function userJson(login: string) {
  return { login, id: 1, node_id: `U_${login}`, type: 'User', html_url: `https://github.com/${login}` };
}

function labelJson(labelName: string) {
  return {
    id: 1,
    node_id: `L_${labelName}`,
    name: labelName,
    color: 'ededed',
    default: false,
    description: null,
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
