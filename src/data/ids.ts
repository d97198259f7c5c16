import { UserError } from '../errors.js';
import type { SourceFile } from './source.js';

/**
 * Duplicate-id detection in bounded memory: 8 bytes per record (a 52-bit hash in a Float64Array)
 * instead of a Set of strings. Equal hashes are only candidates; the caller confirms them with
 * the real ids in a second read, which happens only when a candidate exists.
 */
export class IdHashes {
  private hashes = new Float64Array(1 << 12);
  private n = 0;

  add(buf: Uint8Array, start: number, end: number): void {
    if (this.n === this.hashes.length) {
      const grown = new Float64Array(this.hashes.length * 2);
      grown.set(this.hashes);
      this.hashes = grown;
    }
    this.hashes[this.n++] = idHash(buf, start, end);
  }

  /** Hashes seen more than once. */
  repeated(): Set<number> {
    const sorted = this.hashes.slice(0, this.n).sort();
    const out = new Set<number>();
    for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) out.add(sorted[i]!);
    return out;
  }
}

/** Two FNV-1a variants combined into an exact integer below 2^52. */
export function idHash(buf: Uint8Array, start: number, end: number): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    h1 = Math.imul(h1 ^ b, 0x01000193);
    h2 = Math.imul(h2 ^ b, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  return (h1 >>> 0) * 0x100000 + ((h2 >>> 0) >>> 12);
}

/** The error for an id on two lines of one table file. */
export function duplicateIdError(file: SourceFile, id: string, firstLine: number, secondLine: number): UserError {
  return new UserError(`${file.display}: the id '${id}' appears twice, on lines ${firstLine} and ${secondLine}. Ids must be unique.`);
}
