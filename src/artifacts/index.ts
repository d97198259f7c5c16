/** Opens the artifact store for a location (the contract both stores keep is in store.ts). */
import { UserError } from '../errors.js';
import { DirectoryStore } from './directory.js';
import type { ArtifactStore } from './store.js';
import { isS3Location, parseS3Location, type S3Options } from './location.js';

export { isS3Location, joinLocation, type S3Options } from './location.js';
export type { ArtifactStore, Body } from './store.js';

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
