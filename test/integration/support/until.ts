import { pollUntil } from '../../../src/poll.js';

/** Polls `probe` until it returns a value (not undefined), failing with `what` after the timeout. */
export function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 120_000): Promise<T> {
  return pollUntil(probe, { timeoutMs, intervalMs: 200, timeoutError: () => new Error(`timed out waiting for ${what}`) });
}
