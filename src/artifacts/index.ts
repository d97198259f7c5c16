/** Opens the artifact store for a location (the contract both stores keep is in store.ts). */
import { UserError } from '../errors.js';
import { outageWaiter } from '../outage.js';
import { DirectoryStore } from './directory.js';
import type { ArtifactStore } from './store.js';
import { isS3Location, parseS3Location, type S3Options } from './location.js';

export { isS3Location, joinLocation, type S3Options } from './location.js';
export type { ArtifactStore, Body, ClearOptions, Freed } from './store.js';

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
