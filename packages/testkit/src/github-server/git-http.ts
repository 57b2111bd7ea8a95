import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A smart-HTTP git remote over `git http-backend` that, like github.com, accepts only
 * `Authorization: basic base64(x-access-token:<token>)`. Lets tests push "over HTTPS" with a token
 * and check that git sent exactly one Authorization header.
 */

export interface GitHttpServerOptions {
  /** Directory holding bare repositories, served as `<url>/<name>.git`. */
  projectRoot: string;
  token: string;
}

export interface GitHttpRequestRecord {
  method: string;
  path: string;
  /** Authorization header values as sent (several means git sent duplicates). Never the raw token. */
  authorizationCount: number;
  authorized: boolean;
  status: number;
}

export interface GitHttpServer {
  url: string;
  requests: GitHttpRequestRecord[];
  close(): Promise<void>;
}

export async function startGitHttpServer(options: GitHttpServerOptions): Promise<GitHttpServer> {
  const expected = `basic ${Buffer.from(`x-access-token:${options.token}`).toString('base64')}`;
  const requests: GitHttpRequestRecord[] = [];

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const auths: string[] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (req.rawHeaders[i]!.toLowerCase() === 'authorization') auths.push(req.rawHeaders[i + 1]!);
    }
    const authorized = auths.length === 1 && auths[0]!.toLowerCase() === expected.toLowerCase();
    const record: GitHttpRequestRecord = {
      method: req.method ?? 'GET',
      path: url.pathname,
      authorizationCount: auths.length,
      authorized,
      status: 0,
    };
    requests.push(record);
    if (!authorized) {
      record.status = 401;
      // No WWW-Authenticate challenge: git must not fall back to prompting for credentials.
      res.writeHead(401, { 'content-type': 'text/plain' });
      res.end('bad credentials\n');
      req.resume();
      return;
    }
    const child = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_PROJECT_ROOT: options.projectRoot,
        GIT_HTTP_EXPORT_ALL: '1',
        REMOTE_USER: 'x-access-token',
        REMOTE_ADDR: '127.0.0.1',
        REQUEST_METHOD: req.method ?? 'GET',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
        GIT_HTTP_MAX_REQUEST_BUFFER: '100M',
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    req.pipe(child.stdin);
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.on('close', () => {
      const out = Buffer.concat(chunks);
      const split = out.indexOf('\r\n\r\n');
      const head = out.subarray(0, split).toString('latin1');
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of head.split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else headers[name] = value;
      }
      record.status = status;
      res.writeHead(status, headers);
      res.end(out.subarray(split + 4));
    });
  };

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
