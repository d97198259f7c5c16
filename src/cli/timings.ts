/**
 * `sweep start --timings`: where a sweep's wall time went, phase by phase, measured where the
 * phases already run (the CLI's own steps), printed as a table at the end.
 */
import { table } from './report.js';

export class PhaseTimings {
  private readonly phases: { name: string; ms: number }[] = [];
  private readonly started: number;

  constructor(private readonly now: () => number = () => performance.now()) {
    this.started = now();
  }

  /** Runs `work`, recording its wall time under `name` (also when it throws). */
  async time<T>(name: string, work: () => Promise<T>): Promise<T> {
    const started = this.now();
    try {
      return await work();
    } finally {
      this.phases.push({ name, ms: this.now() - started });
    }
  }

  /** The phases in order, then what no phase covered, then the total. */
  table(): string {
    const total = this.now() - this.started;
    const covered = this.phases.reduce((sum, p) => sum + p.ms, 0);
    const rows = [...this.phases, { name: 'other (between phases)', ms: total - covered }, { name: 'total', ms: total }];
    const share = (ms: number) => (total > 0 ? `${((100 * ms) / total).toFixed(0)}%` : '');
    return table(
      ['phase', 'seconds', 'share'],
      rows.map((r) => [r.name, (r.ms / 1000).toFixed(2), share(r.ms)]),
    );
  }
}
