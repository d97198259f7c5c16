/**
 * Where predict's TSV goes, written so that a failed run leaves nothing behind: `--out FILE` is
 * written under a temporary name and renamed into place at the end; standard output redirected
 * to a file (`> out.tsv`) is truncated back to its size before the run. A pipe cannot take back
 * what it has passed on, so the first rows go out only after the first batch has been predicted.
 */
import { closeSync, fstatSync, ftruncateSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';

/** Text is gathered up to this size before a write. */
const FLUSH_BYTES = 1 << 20;

export class TsvOutput {
  private pending = '';
  private done = false;

  private constructor(
    private readonly fd: number,
    private readonly target: { kind: 'file'; tmp: string; final: string } | { kind: 'stdout'; startSize: number | undefined },
  ) {}

  /** `out` undefined: standard output. */
  static open(out: string | undefined): TsvOutput {
    if (out === undefined) {
      const st = fstatSync(1);
      return new TsvOutput(1, { kind: 'stdout', startSize: st.isFile() ? st.size : undefined });
    }
    const final = path.resolve(out);
    const tmp = path.join(path.dirname(final), `.${path.basename(final)}.tmp-${process.pid}`);
    let fd: number;
    try {
      fd = openSync(tmp, 'w');
    } catch (err) {
      throw new UserError(`--out ${out}: cannot write there (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
    }
    return new TsvOutput(fd, { kind: 'file', tmp, final });
  }

  write(text: string): void {
    this.pending += text;
    if (this.pending.length >= FLUSH_BYTES) this.flush();
  }

  /** Everything written: the file takes its final name. */
  commit(): void {
    this.flush();
    this.done = true;
    if (this.target.kind === 'file') {
      closeSync(this.fd);
      renameSync(this.target.tmp, this.target.final);
    }
  }

  /** The run failed: remove what it wrote (see the module comment for pipes). */
  abort(): void {
    if (this.done) return;
    this.done = true;
    this.pending = '';
    if (this.target.kind === 'file') {
      closeSync(this.fd);
      rmSync(this.target.tmp, { force: true });
    } else if (this.target.startSize !== undefined) {
      ftruncateSync(1, this.target.startSize);
    }
  }

  private flush(): void {
    if (this.pending === '') return;
    const bytes = Buffer.from(this.pending);
    this.pending = '';
    let at = 0;
    while (at < bytes.length) {
      try {
        at += writeSync(this.fd, bytes, at, bytes.length - at);
      } catch (err) {
        // A non-blocking pipe whose reader is slower than we are: wait for it.
        if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      }
    }
  }
}
