import { randomUUID } from 'node:crypto';
import { CLOCK_TOKEN_ENV, CLOCK_URL_ENV, type RunStarted } from './protocol.js';

export interface ClockClient {
  /** Brackets `fn` with started/finished calls; returns fn's result and whether the clock heard both. */
  during<T>(
    run: RunStarted,
    fn: () => Promise<T>,
  ): Promise<{ result: T; clockReached: boolean; clockError?: string }>;
}

const REQUEST_TIMEOUT_MS = 3_000;

/** A client for the budget clock. An unreachable clock never stops the run: it is reported instead. */
export function clockClientFromEnv(env: NodeJS.ProcessEnv = process.env): ClockClient {
  const url = env[CLOCK_URL_ENV];
  const token = env[CLOCK_TOKEN_ENV];
  return createClockClient(url && token ? { url, token } : undefined);
}

export function createClockClient(target: { url: string; token: string } | undefined): ClockClient {
  async function post(path: string, body: unknown): Promise<string | undefined> {
    if (!target) return 'no budget clock configured';
    try {
      const res = await fetch(new URL(path, target.url.endsWith('/') ? target.url : `${target.url}/`), {
        method: 'POST',
        headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      await res.arrayBuffer();
      return res.ok ? undefined : `budget clock answered HTTP ${res.status}`;
    } catch (error) {
      return `budget clock unreachable: ${(error as Error).message}`;
    }
  }

  return {
    async during(run, fn) {
      const runId = randomUUID();
      const startError = await post(`runs/${runId}/started`, run);
      try {
        const result = await fn();
        return { result, ...(await finish()) };
      } catch (error) {
        await finish();
        throw error;
      }
      async function finish(): Promise<{ clockReached: boolean; clockError?: string }> {
        const finishError = startError ? undefined : await post(`runs/${runId}/finished`, {});
        const clockError = startError ?? finishError;
        return clockError ? { clockReached: false, clockError } : { clockReached: true };
      }
    },
  };
}
