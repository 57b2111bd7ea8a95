import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { type ClockStatus, runIdSchema, type RunStarted, runStartedSchema } from './protocol.js';

export interface BudgetClockOptions {
  /** 0 (default) picks a free port. The server only ever listens on 127.0.0.1. */
  port?: number;
  /** Bearer token the tools must present; a random one by default. */
  token?: string;
  /** Reported in `/status` only; the runner enforces the budget. */
  budgetMs?: number;
  /** Monotonic milliseconds; injectable for tests. */
  now?: () => number;
}

export interface ActiveRun extends RunStarted {
  id: string;
  startedAt: number;
}

export interface BudgetClock {
  /** e.g. `http://127.0.0.1:41234` (give it to the tools as PANIC_FIX_CLOCK_URL). */
  readonly url: string;
  readonly token: string;
  /** The clock's own time scale (monotonic ms); pass its values back to `excludedMs`. */
  now(): number;
  /** Time covered by at least one run since the clock started, up to `now`; open runs count up to `now`. */
  excludedMs(now?: number): number;
  activeRuns(): ActiveRun[];
  status(now?: number): ClockStatus;
  close(): Promise<void>;
}

interface Interval {
  start: number;
  end: number | undefined;
}

const MAX_BODY_BYTES = 16 * 1024;
/** Caps memory if a confused tool opens runs in a loop. */
const MAX_RUNS = 10_000;
const finishedSchema = z.object({}).strict();

/** Epoch milliseconds that never step backwards (the clock every budget and span is measured on). */
export function monotonicNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Length of the union of intervals clipped to [from, now]: overlapping runs count once. */
export function unionMs(
  intervals: readonly { start: number; end: number | undefined }[],
  from: number,
  now: number,
): number {
  const clipped = intervals
    .map(({ start, end }) => [Math.max(start, from), Math.min(end ?? now, now)] as const)
    .filter(([start, end]) => end > start)
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let curStart = -Infinity;
  let curEnd = -Infinity;
  for (const [start, end] of clipped) {
    if (start > curEnd) {
      if (curEnd > curStart) total += curEnd - curStart;
      curStart = start;
      curEnd = end;
    } else if (end > curEnd) {
      curEnd = end;
    }
  }
  if (curEnd > curStart) total += curEnd - curStart;
  return total;
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';
}

/**
 * The budget clock: simulator and validation runs started by the MCP tools are reported here so the
 * agent's budget counts only its own thinking and editing time.
 */
export async function startBudgetClock(options: BudgetClockOptions = {}): Promise<BudgetClock> {
  const now = options.now ?? monotonicNow;
  const token = options.token ?? randomBytes(24).toString('hex');
  if (token.length < 16) throw new Error('budget clock token must be at least 16 characters');
  const expected = Buffer.from(`Bearer ${token}`);
  const createdAt = now();
  const runs = new Map<string, Interval & RunStarted>();
  let runsFinished = 0;

  function authorised(req: IncomingMessage): boolean {
    const given = Buffer.from(req.headers.authorization ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  function send(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  /** The body as text, or undefined past MAX_BODY_BYTES (the rest is drained so a 413 can be sent). */
  function readBody(req: IncomingMessage): Promise<string | undefined> {
    return new Promise((resolve) => {
      const parts: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY_BYTES) parts.push(chunk);
      });
      req.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(parts).toString('utf8')));
      req.on('error', () => resolve(undefined));
    });
  }

  function parseJson(text: string): unknown {
    if (text.trim() === '') return {};
    try {
      return JSON.parse(text);
    } catch {
      return Symbol.for('invalid');
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!isLoopback(req.socket.remoteAddress)) return send(res, 403, { error: 'loopback only' });
    if (!authorised(req)) return send(res, 401, { error: 'missing or wrong bearer token' });
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'GET' && path === '/status') return send(res, 200, clock.status());
    const match = /^\/runs\/([^/]+)\/(started|finished)$/.exec(path);
    if (!match || req.method !== 'POST') return send(res, 404, { error: 'no such route' });
    const id = runIdSchema.safeParse(decodeURIComponent(match[1]!));
    if (!id.success) return send(res, 400, { error: 'invalid run id' });
    const text = await readBody(req);
    if (text === undefined) return send(res, 413, { error: 'body too large' });
    const json = parseJson(text);
    if (match[2] === 'started') {
      const body = runStartedSchema.safeParse(json);
      if (!body.success) return send(res, 400, { error: 'invalid body', issues: body.error.issues.length });
      if (runs.has(id.data)) return send(res, 200, { ok: true, duplicate: true });
      if (runs.size >= MAX_RUNS) return send(res, 429, { error: 'too many runs' });
      runs.set(id.data, { ...body.data, start: now(), end: undefined });
      return send(res, 200, { ok: true });
    }
    if (!finishedSchema.safeParse(json).success) return send(res, 400, { error: 'invalid body' });
    const run = runs.get(id.data);
    if (!run) return send(res, 404, { error: 'unknown run' });
    if (run.end === undefined) {
      run.end = now();
      runsFinished++;
    }
    return send(res, 200, { ok: true });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const clock: BudgetClock = {
    url: `http://127.0.0.1:${port}`,
    token,
    now,
    excludedMs: (at = now()) => unionMs([...runs.values()], createdAt, at),
    activeRuns: () =>
      [...runs.entries()]
        .filter(([, run]) => run.end === undefined)
        .map(([id, run]) => ({ id, kind: run.kind, label: run.label, startedAt: run.start })),
    status(at = now()) {
      const elapsedMs = at - createdAt;
      const excludedMs = clock.excludedMs(at);
      return {
        elapsedMs,
        excludedMs,
        agentMs: elapsedMs - excludedMs,
        budgetMs: options.budgetMs ?? 0,
        openRuns: clock.activeRuns().length,
        runsStarted: runs.size,
        runsFinished,
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return clock;
}
