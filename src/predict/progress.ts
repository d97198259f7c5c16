/** Set by a CLI parent that passes this process's standard error on to a terminal (src/cli/quiet-tensorflow.ts). */
export const STDERR_IS_TERMINAL = 'SWEEP_STDERR_IS_TERMINAL';

/** A one-line progress bar on standard error, drawn only when it is a terminal (stdout stays data). */
export class ByteProgress {
  private readonly out = process.stderr.isTTY || process.env[STDERR_IS_TERMINAL] === '1' ? process.stderr : undefined;
  private readonly started = performance.now();
  private lastDraw = 0;
  private drawn = false;

  constructor(
    private readonly label: string,
    private readonly totalBytes: number,
    private readonly unit = 'sequences',
  ) {}

  update(bytes: number, records: number): void {
    if (!this.out) return;
    const now = performance.now();
    if (now - this.lastDraw < 200) return;
    this.lastDraw = now;
    const fraction = this.totalBytes > 0 ? Math.min(1, bytes / this.totalBytes) : 0;
    const width = 24;
    const filled = Math.round(fraction * width);
    const rate = records / Math.max(1e-3, (now - this.started) / 1000);
    this.out.write(
      `\r\x1b[K${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(fraction * 100).toFixed(0)}% ${records.toLocaleString('en-US')} ${this.unit}, ${Math.round(rate).toLocaleString('en-US')}/s`,
    );
    this.drawn = true;
  }

  finish(): void {
    if (this.out && this.drawn) this.out.write('\r\x1b[K');
  }
}
