/**
 * Infrastructure outages (the database or Temporal unreachable, the disk full): the user gets one
 * line when an outage starts and one when it ends, however many calls met it. A fault that is
 * nobody's input must not fail a trial: its work waits and lands once the outage is over.
 */
import { sleep } from './poll.js';

/** The two lines of an outage and nothing in between. */
export class OutageReport {
  private downSince: number | undefined;

  constructor(private readonly warn: (line: string) => void) {}

  get down(): boolean {
    return this.downSince !== undefined;
  }

  /** A call met the outage: prints `line` if this call began it. Returns whether it did. */
  start(line: () => string): boolean {
    if (this.downSince !== undefined) return false;
    this.downSince = Date.now();
    this.warn(line());
    return true;
  }

  /** A call went through: ends an outage, if there was one, with `line(seconds it lasted)`. */
  end(line: (seconds: number) => string): void {
    if (this.downSince === undefined) return;
    this.warn(line(Math.round((Date.now() - this.downSince) / 1000)));
    this.downSince = undefined;
  }
}

export interface OutageOptions {
  /** Errors that mean "the outage", as opposed to errors of the call itself (thrown at once). */
  isOutage(err: unknown): boolean;
  /** The line when an outage starts, from its first error and the subject of the call that met it. */
  started: (err: unknown, subject: string | undefined) => string;
  /** The line when it is over. */
  ended: (seconds: number) => string;
  warn: (line: string) => void;
  /** Checked before each retry: true stops waiting and throws the outage's error. */
  givenUp?: () => boolean;
  /** Longest pause between tries (default 5 s). */
  maxDelayMs?: number;
}

/**
 * A wrapper that retries calls through outages, with a growing pause; the calls of one wrapper share
 * its outage (one pair of lines). `subject` (say, the file being written) goes into the first line.
 */
export function outageWaiter(options: OutageOptions): <T>(call: () => Promise<T>, subject?: string) => Promise<T> {
  const report = new OutageReport(options.warn);
  return async function waitingOut<T>(call: () => Promise<T>, subject?: string): Promise<T> {
    for (let delay = 250; ; delay = Math.min(delay * 2, options.maxDelayMs ?? 5_000)) {
      try {
        const result = await call();
        report.end(options.ended);
        return result;
      } catch (err) {
        if (!options.isOutage(err) || options.givenUp?.()) throw err;
        report.start(() => options.started(err, subject));
        await sleep(delay);
      }
    }
  };
}
