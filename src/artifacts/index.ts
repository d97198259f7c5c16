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
import { UserError } from '../errors.js';
import { outageWaiter } from '../outage.js';
import { DirectoryStore } from './directory.js';
import { isS3Location, parseS3Location, type S3Options } from './location.js';

export { isS3Location, joinLocation, type S3Options } from './location.js';

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

/**
 * The store for a location. `s3` is needed only for s3:// locations; without it the settings come
 * from the environment (src/config's s3Options), as in a process that has no Config.
 */
export async function openArtifactStore(location: string, s3?: S3Options): Promise<ArtifactStore> {
  if (!isS3Location(location)) return new DirectoryStore(location);
  const parsed = parseS3Location(location);
  if (parsed.problem) throw new UserError(parsed.problem);
  const options = s3 ?? (await import('../config/index.js')).s3Options();
  const { S3Store } = await import('./s3.js'); // the AWS SDK loads only where a location needs it
  return new S3Store(parsed, options);
}

/** The whole object as one buffer, or undefined when there is none. */
export async function getBytes(store: ArtifactStore, key: string): Promise<Buffer | undefined> {
  const stream = await store.get(key);
  if (!stream) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Throws on keys outside the contract, so both stores accept exactly the same ones. */
export function checkKey(key: string): void {
  if (key === '' || key.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new Error(`invalid artifact key '${key}': expected a relative '/'-separated path without '.', '..' or empty segments`);
  }
}

/** A full disk or an exhausted quota: nobody's input, and it ends when space is freed. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

export interface DiskFullNotice {
  /** Whose files these are, e.g. "sweep S, trial T". */
  owner: string;
  /** The setting that chose the store's location, e.g. SWEEP_ARTIFACTS. */
  setting: string;
  warn: (line: string) => void;
  /** Checked before each retry: true stops waiting and throws the disk-full error. */
  givenUp?: () => boolean;
}

/**
 * The store, with `put` waiting out a full disk: a failed put leaves the previous object whole, so
 * it is retried until there is space, with one line when the disk fills and one when it has room
 * again. A streamed (async) body cannot be sent twice: its put fails as before.
 */
export function waitingOutFullDisk(store: ArtifactStore, notice: DiskFullNotice): ArtifactStore {
  const waitingOut = outageWaiter({
    isOutage: isDiskFull,
    started: (err, file) =>
      `${notice.owner}: no space to write ${file} (${(err as NodeJS.ErrnoException).code} on the disk of ${notice.setting}): ` +
      `waiting for space, the last complete file is kept; free space there or point ${notice.setting} elsewhere`,
    ended: (seconds) => `${notice.owner}: the disk of ${notice.setting} has space again after ${seconds} s; the writes that waited are stored`,
    warn: notice.warn,
    givenUp: notice.givenUp,
  });
  return {
    location: store.location,
    locate: (key) => store.locate(key),
    get: (key) => store.get(key),
    list: (prefix) => store.list(prefix),
    delete: (key) => store.delete(key),
    clear: (dir, options) => store.clear(dir, options),
    async put(key, body) {
      if (!(body instanceof Uint8Array) && Symbol.asyncIterator in body) return store.put(key, body);
      const again = body instanceof Uint8Array ? body : [...body];
      await waitingOut(() => store.put(key, again), store.locate(key));
    },
  };
}
