import type { SweepProgress } from '../../workflows/types.js';

/**
 * Live sweep progress: a redrawn bar on a TTY, a plain line per change otherwise (logs, CI).
 * `null` output = silent (--json mode).
 */
export class ProgressView {
  private readonly started = Date.now();
  private lastLine = '';
  private drawn = false;

  constructor(private readonly out: NodeJS.WriteStream | null, private readonly total: number) {}

  update(p: SweepProgress): void {
    if (!this.out) return;
    const c = p.counts;
    const done = c.completed + c['early-stopped'] + c.failed + c.cancelled;
    const elapsed = (Date.now() - this.started) / 1000;
    const eta = done > 0 && done < this.total ? ` ETA ${formatSeconds((elapsed / done) * (this.total - done))}` : '';
    const best = p.best ? ` best val AUC ${p.best.valAuc.toFixed(4)} (trial ${p.best.trial})` : '';
    const text = `${done}/${this.total} done, ${p.running.length} running, ${c.failed} failed${best}${eta}${p.status === 'paused' ? ' [paused]' : ''}`;
    if (this.out.isTTY) {
      const width = 24;
      const filled = Math.round((done / Math.max(1, this.total)) * width);
      this.out.write(`\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}`);
      this.drawn = true;
    } else if (text.replace(/ ETA .*/, '') !== this.lastLine) {
      this.lastLine = text.replace(/ ETA .*/, '');
      this.out.write(`[${formatSeconds(elapsed)}] ${text}\n`);
    }
  }

  finish(): void {
    if (this.out?.isTTY && this.drawn) this.out.write('\n');
  }
}

function formatSeconds(s: number): string {
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
