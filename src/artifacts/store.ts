/**
 * The artifact store: where checkpoints and exported models live, so that any worker can resume a
 * trial or export its model. Two implementations behind one small contract:
 * - a directory (the default; every worker must share it, e.g. over NFS),
 * - S3-compatible object storage (`s3://bucket/prefix`): nothing shared but the bucket.
 *
 * Contract, for both:
 * - keys are '/'-separated relative paths (no '.', '..' or empty segments);
 * - `put` is atomic from a reader's point of view: a `get` sees the previous object or the new one
 *   whole, never a part (directory: temp file, fsync, rename; S3: a PUT or a completed multipart
 *   upload), and a failed `put` leaves the previous object in place;
 * - bodies are streamed both ways (a checkpoint of the full DanQ model is ~750 MB);
 * - `get` of a missing key is undefined, `delete` of a missing key is no error;
 * - `list` returns every key under a prefix, sorted, without the store's own temp files;
 * - `clear` removes a whole key prefix (a sweep's or trial's directory), temp files included, or
 *   only the temp files that writers which died left behind.
 */
import type { Readable } from 'node:stream';

export type Body = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** What a `clear` removed (or, with dryRun, would remove). */
export interface Freed {
  files: number;
  bytes: number;
}

export interface ClearOptions {
  /** Count, remove nothing. */
  dryRun?: boolean;
  /** Only the temp files of writers that died (call it when nobody writes there any more). */
  leftoversOnly?: boolean;
}

export interface ArtifactStore {
  /** The location this store was opened on: a directory path or s3://bucket/prefix. */
  readonly location: string;
  put(key: string, body: Body): Promise<void>;
  get(key: string): Promise<Readable | undefined>;
  list(prefix?: string): Promise<string[]>;
  delete(key: string): Promise<void>;
  /** Removes everything under the key prefix `dir` (a '/'-separated directory, not a name prefix); see ClearOptions. */
  clear(dir: string, options?: ClearOptions): Promise<Freed>;
  /** The location of one key, e.g. to record where a model was written. */
  locate(key: string): string;
}

/** Throws on keys outside the contract, so both stores accept exactly the same ones. */
export function checkKey(key: string): void {
  if (key === '' || key.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new Error(`invalid artifact key '${key}': expected a relative '/'-separated path without '.', '..' or empty segments`);
  }
}
