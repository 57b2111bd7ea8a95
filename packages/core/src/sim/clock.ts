import type { ClockClient } from '../clock/client.js';
import type { RunStarted } from '../clock/protocol.js';
import type { ClockState } from './types.js';

export interface Clocked<T> {
  result: T;
  clock: ClockState;
  clockError?: string;
}

/** Brackets a run with the budget clock when one is configured; an unreachable clock never stops the run. */
export async function withClock<T>(
  clock: ClockClient | undefined,
  run: RunStarted,
  fn: () => Promise<T>,
): Promise<Clocked<T>> {
  if (!clock) return { result: await fn(), clock: 'not_configured' };
  const { result, clockReached, clockError } = await clock.during(run, fn);
  return clockReached
    ? { result, clock: 'reached' }
    : { result, clock: 'unreachable', ...(clockError ? { clockError } : {}) };
}

/** One state for several runs: unreachable if any run missed the clock. */
export function combineClockStates(states: readonly ClockState[]): ClockState {
  if (states.includes('unreachable')) return 'unreachable';
  if (states.includes('reached')) return 'reached';
  return 'not_configured';
}
