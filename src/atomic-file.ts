/** Writing a local file so that readers see the old content or the whole new one, never a part. */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

/** Writes `chunks` to a temp file beside `file`, fsyncs it and renames it over `file`. */
export function writeFileAtomically(file: string, chunks: readonly Uint8Array[]): void {
  const temp = `${file}.tmp-${process.pid}`;
  const fd = openSync(temp, 'w');
  try {
    for (const chunk of chunks) writeSync(fd, chunk);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw err;
  }
  closeSync(fd);
  renameSync(temp, file);
}
