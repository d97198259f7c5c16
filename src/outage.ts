/**
 * Waiting out an infrastructure outage (the database unreachable, the disk full): the call is
 * retried with a growing pause until it succeeds, and the user gets one line when the outage starts
 * and one when it ends, however many calls waited. A fault that is nobody's input must not fail a
 * trial: its work waits and lands once the outage is over.
 */
import { sleep } from './poll.js';

export interface OutageOptions {
  /** Errors that mean "the outage", as opposed to errors of the call itself (thrown at once). */
  isOutage(err: unknown): boolean;
  /** The line when an outage starts, from its first error and the subject of the call that met it. */
  started(err: unknown, subject: string | undefined): string;
  /** The line when it is over. */
  ended(seconds: number): string;
  warn(line: string): void;
  /** Checked before each retry: true stops waiting and throws the outage's error. */
  givenUp?(): boolean;
  /** Longest pause between tries (default 5 s). */
  maxDelayMs?: number;
}

/**
 * A wrapper that retries calls through outages; the calls of one wrapper share its outage (one pair
 * of lines). `subject` (say, the file being written) goes into the first line.
 */
export function outageWaiter(options: OutageOptions): <T>(call: () => Promise<T>, subject?: string) => Promise<T> {
  let downSince: number | undefined;
  return async function waitingOut<T>(call: () => Promise<T>, subject?: string): Promise<T> {
    for (let delay = 250; ; delay = Math.min(delay * 2, options.maxDelayMs ?? 5_000)) {
      try {
        const result = await call();
        if (downSince !== undefined) {
          options.warn(options.ended(Math.round((Date.now() - downSince) / 1000)));
          downSince = undefined;
        }
        return result;
      } catch (err) {
        if (!options.isOutage(err) || options.givenUp?.()) throw err;
        if (downSince === undefined) {
          downSince = Date.now();
          options.warn(options.started(err, subject));
        }
        await sleep(delay);
      }
    }
  };
}
