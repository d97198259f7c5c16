/**
 * What a process prints while a server it depends on (PostgreSQL, Temporal) is down: one line when
 * it becomes unreachable, one when it is back with how long it was gone; nothing in between.
 */
export class OutageReport {
  private downSince: number | undefined;

  /** `server` names it in both lines, e.g. "PostgreSQL at 127.0.0.1:5432". */
  constructor(
    private readonly server: string,
    private readonly warn: (line: string) => void,
  ) {}

  get down(): boolean {
    return this.downSince !== undefined;
  }

  /** The server did not answer: `consequence` follows "is unreachable" in the one line per outage. Returns whether this call began the outage. */
  unreachable(consequence: string): boolean {
    if (this.downSince !== undefined) return false;
    this.downSince = Date.now();
    this.warn(`${this.server} is unreachable${consequence}`);
    return true;
  }

  /** The server answered: ends an outage, if there was one, with `consequence` after the time it lasted. */
  back(consequence = ''): void {
    if (this.downSince === undefined) return;
    this.warn(`${this.server} is back after ${Math.round((Date.now() - this.downSince) / 1000)} s${consequence}`);
    this.downSince = undefined;
  }
}
