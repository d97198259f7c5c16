/** Waiting for a condition by polling: the one loop behind the stack's start/stop waits, its lock and the tests' waits. */

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface PollOptions {
  /** Give up after this long (Infinity: never). */
  timeoutMs: number;
  /** Pause between probes (default 100 ms). */
  intervalMs?: number;
}

/** Calls `probe` until it returns something other than undefined and returns that; undefined once `timeoutMs` has passed. */
export async function poll<T>(probe: () => T | undefined | Promise<T | undefined>, options: PollOptions): Promise<T | undefined> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    const left = deadline - Date.now();
    if (left <= 0) return undefined;
    await sleep(Math.min(options.intervalMs ?? 100, left));
  }
}

/** poll, failing with `timeoutError()` at the deadline. */
export async function pollUntil<T>(probe: () => T | undefined | Promise<T | undefined>, options: PollOptions & { timeoutError: () => Error }): Promise<T> {
  const value = await poll(probe, options);
  if (value === undefined) throw options.timeoutError();
  return value;
}
