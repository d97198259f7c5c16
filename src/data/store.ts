/**
 * The encoded cache: `<cacheDir>/<fingerprint>/` holds one file per split plus meta.json. A split
 * file is `count` fixed-size records, each seqLen base codes (encoding.ts) then numTasks 0/1 bytes,
 * so any sample is one positioned read. Directories are built under a temporary name and renamed
 * into place, so a complete-looking cache is a complete cache.
 */
import { closeSync, existsSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.js';
import type { DatasetManifest, SplitFile } from './types.js';

/** Bump when the encoded layout or the fingerprint recipe changes: old caches are then ignored. */
export const CACHE_VERSION = 1;
export const META_FILE = 'meta.json';

export type SplitName = 'train' | 'valid' | 'test';

export interface CacheMeta {
  version: number;
  fingerprint: string;
  seqLen: number;
  taskNames: string[];
  counts: Partial<Record<SplitName, number>>;
  /** The input files, as messages name them. */
  sources: Record<string, string>;
  /** Genome-backed data: windows positive per task in each split, and the windows dropped per reason. */
  genome?: GenomeSummary;
}

export interface DropCount {
  windows: number;
  /** Of them, windows whose bin was positive for some task. */
  positive: number;
}

/** What a genome-backed dataset's cache records besides its windows. */
export interface GenomeSummary {
  /** Per split: windows positive for each task, in task order. */
  positives: Partial<Record<SplitName, number[]>>;
  /** Windows dropped, each under its first reason. */
  dropped: { beyondEnds: DropCount; blacklist: DropCount; tooManyN: DropCount };
}

export function splitFileName(split: SplitName): string {
  return `${split}.bin`;
}

export function recordSize(seqLen: number, numTasks: number): number {
  return seqLen + numTasks;
}

/** Appends fixed-size records through a write buffer. */
export class SplitWriter {
  readonly recordSize: number;
  readonly buf: Uint8Array;
  count = 0;
  private used = 0;
  private fd: number;

  constructor(
    readonly file: string,
    readonly seqLen: number,
    readonly numTasks: number,
  ) {
    this.recordSize = recordSize(seqLen, numTasks);
    this.buf = new Uint8Array(Math.max(4 << 20, this.recordSize));
    this.fd = openSync(file, 'w');
  }

  /** Offset in `buf` where the caller writes the next record: seqLen codes, then numTasks labels. */
  begin(): number {
    if (this.used + this.recordSize > this.buf.length) this.flush();
    return this.used;
  }

  commit(): void {
    this.used += this.recordSize;
    this.count++;
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  private flush(): void {
    let done = 0;
    while (done < this.used) done += writeSync(this.fd, this.buf, done, this.used - done);
    this.used = 0;
  }
}

/** Streams records of `from` into two files: records whose mask byte is 1 go to `selected`, the rest to `others`. */
export function partitionRecords(from: string, count: number, size: number, mask: Uint8Array, selected: SplitWriter, others: SplitWriter): void {
  const fd = openSync(from, 'r');
  try {
    const perRead = Math.max(1, Math.floor((8 << 20) / size));
    const chunk = new Uint8Array(perRead * size);
    for (let first = 0; first < count; first += perRead) {
      const n = Math.min(perRead, count - first);
      readFully(fd, chunk, n * size, first * size);
      for (let i = 0; i < n; i++) {
        const writer = mask[first + i] ? selected : others;
        writer.buf.set(chunk.subarray(i * size, (i + 1) * size), writer.begin());
        writer.commit();
      }
    }
  } finally {
    closeSync(fd);
  }
}

export function readFully(fd: number, into: Uint8Array, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, into, done, length - done, position + done);
    if (n === 0) throw new Error(`unexpected end of file at byte ${position + done}`);
    done += n;
  }
}

export function readMeta(dir: string): CacheMeta | undefined {
  const file = path.join(dir, META_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const meta = JSON.parse(readFileSync(file, 'utf8')) as CacheMeta;
    return meta.version === CACHE_VERSION ? meta : undefined;
  } catch {
    // A damaged cache reads as no cache: callers rebuild it or report it missing.
    return undefined;
  }
}

export function manifestFromMeta(dir: string, meta: CacheMeta, reverseComplement: boolean): DatasetManifest {
  const split = (name: SplitName): SplitFile => ({ path: path.join(dir, splitFileName(name)), count: meta.counts[name]! });
  return {
    fingerprint: meta.fingerprint,
    seqLen: meta.seqLen,
    taskNames: meta.taskNames,
    splits: { train: split('train'), valid: split('valid'), ...(meta.counts.test !== undefined ? { test: split('test') } : {}) },
    ...(reverseComplement ? { reverseComplement } : {}),
  };
}

/** What the cache recorded about genome-backed data (undefined for other formats or a missing cache). */
export function genomeStatsOf(manifest: DatasetManifest): CacheMeta['genome'] {
  return readMeta(cacheDirOf(manifest))?.genome;
}

/** The cache folder a manifest's split files live in. */
export function cacheDirOf(manifest: DatasetManifest): string {
  return path.dirname(manifest.splits.train.path);
}

export function missingCacheError(manifest: DatasetManifest, why: string): UserError {
  return new UserError(
    `The encoded dataset ${manifest.fingerprint.slice(0, 12)} in ${cacheDirOf(manifest)} ${why}. Prepare the dataset again on this machine (sweep validate SPEC.json) or give every worker the same cache folder.`,
  );
}
