import type { Client, Config as LibsqlConfig } from '@libsql/client';
import { createClient as createWebClient } from '@libsql/client/web';
import { redactUrl } from '../config/load.js';

export class StoreError extends Error {
  override name = 'StoreError';
}

const REMOTE_SCHEMES = ['libsql:', 'https:', 'http:', 'wss:', 'ws:'];

/**
 * Opens a libSQL client. Remote URLs (Turso Cloud) use the pure-JS client, which bundles into the
 * actions; `file:` URLs load the native embedded client from node_modules (local mode and tests).
 */
export interface ConnectOptions {
  /** How long an embedded (`file:`) connection waits for another process's lock before SQLITE_BUSY. */
  busyTimeoutMs?: number;
}

/**
 * Short on purpose: the embedded driver waits for a lock synchronously, stalling the whole process
 * (agent output, lease renewals, timers) for that long. withDbRetry's backoff between attempts is
 * asynchronous, so patience comes from the retries (about 4 × 2 s + 1.4 s) without freezing the runner.
 */
export const DEFAULT_BUSY_TIMEOUT_MS = 2_000;

export async function connectLibsql(
  url: string,
  authToken?: string,
  opts: ConnectOptions = {},
): Promise<Client> {
  let scheme: string;
  try {
    scheme = new URL(url).protocol;
  } catch {
    throw new StoreError(`database URL is not a URL: ${redactUrl(url)} (use file:path.db or libsql://host)`);
  }
  const config: LibsqlConfig = { url, ...(authToken ? { authToken } : {}) };
  let client: Client;
  if (scheme === 'file:') {
    let native: typeof import('@libsql/client');
    try {
      native = await import('@libsql/client');
    } catch {
      throw new StoreError(
        'file: databases need @libsql/client installed (run npm ci in the panic-fix checkout)',
      );
    }
    // Several processes share one file in local mode: wait for locks instead of failing at once. The
    // client pools connections, so this must be the client's `timeout` (every connection), not a
    // `PRAGMA busy_timeout`, which reaches only the connection that happens to run it.
    client = native.createClient({ ...config, timeout: opts.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS });
  } else if (REMOTE_SCHEMES.includes(scheme)) {
    client = createWebClient(config);
  } else {
    throw new StoreError(`unsupported database URL scheme ${scheme} (use file:, libsql:, https:)`);
  }
  try {
    // A blip (server restarting, connection reset) gets the same bounded retries as every query.
    await withDbRetry('connect', () => client.execute('SELECT 1'));
  } catch (error) {
    client.close();
    throw new StoreError(`cannot reach the database at ${redactUrl(url)}: ${describeDbError(error)}`);
  }
  return client;
}

/** An error message without echoing credentials that some drivers include in URLs. */
export function describeDbError(error: unknown): string {
  const err = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const parts = [err.code, err.message, err.cause?.code ?? err.cause?.message].filter(Boolean);
  return (
    parts
      .join(': ')
      .replace(/authToken=[^&\s]+/g, 'authToken=***')
      // e.g. "Request cannot be constructed from a URL that includes credentials: http://user:pw@host/…"
      .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]+@/gi, '$1***@') || String(error)
  );
}

const TRANSIENT =
  /SQLITE_BUSY|SQLITE_LOCKED|database is locked|ECONNRESET|ECONNREFUSED|ETIMEDOUT|fetch failed|socket hang up|EAI_AGAIN|HTTP status 5\d\d/i;

export function isTransientDbError(error: unknown): boolean {
  return TRANSIENT.test(describeDbError(error));
}

/** Bounded retries with exponential backoff for transient database faults. */
export async function withDbRetry<T>(
  what: string,
  fn: () => Promise<T>,
  opts: { attempts?: number; baseDelayMs?: number } = {},
): Promise<T> {
  const attempts = opts.attempts ?? 4;
  const base = opts.baseDelayMs ?? 200;
  let lastError: unknown;
  let tried = 0;
  for (let i = 0; i < attempts; i++) {
    tried++;
    try {
      return await fn();
    } catch (error) {
      lastError = error;
      if (!isTransientDbError(error) || i === attempts - 1) break;
      await new Promise((r) => setTimeout(r, base * 2 ** i));
    }
  }
  if (lastError instanceof StoreError) throw lastError;
  const after = tried > 1 ? ` after ${tried} attempts` : '';
  throw new StoreError(`${what} failed${after}: ${describeDbError(lastError)}`);
}
