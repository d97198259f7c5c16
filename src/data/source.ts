/**
 * Reading input files: one streaming pass that hashes the bytes on disk and hands over the
 * (transparently gunzipped) content in chunks, with file errors turned into UserErrors.
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { UserError, isUserError } from '../errors.js';
import { fileError, isGzip, readHead, type SourceFile } from '../input-file.js';

export type { SourceFile } from '../input-file.js';

export interface FileDigest {
  sha256: string;
  bytes: number;
}

export function sourceFile(file: string, baseDir: string): SourceFile {
  const abs = path.resolve(baseDir, file);
  const rel = path.relative(process.cwd(), abs);
  return { abs, display: rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs };
}

/** Size of the file, or a UserError when it cannot be read. */
export function fileSize(file: SourceFile): number {
  try {
    const st = statSync(file.abs);
    if (st.isDirectory()) throw new UserError(`${file.display}: is a folder, expected a data file.`);
    return st.size;
  } catch (err) {
    throw fileError(file, err);
  }
}

/**
 * Streams the file's content (gunzipped when it is gzip) into `consume`, hashing the bytes on disk
 * on the way. `onBytes` reports progress in bytes read from disk.
 */
export async function streamFile(file: SourceFile, consume: (content: AsyncIterable<Buffer>) => Promise<void>, onBytes?: (bytes: number) => void): Promise<FileDigest> {
  fileSize(file);
  const gzip = isGzip(readHead(file, 2));
  const hash = createHash('sha256');
  let bytes = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      onBytes?.(bytes);
      done(null, chunk);
    },
  });
  const raw = createReadStream(file.abs, { highWaterMark: 1 << 20 });
  // The consumer's own error (a bad record) must win over the AbortError that tearing down the streams
  // reports. A stream error (truncated gzip) can reach the consumer through its source first, so it is
  // classified the same way whichever path it took.
  let consumerError: unknown;
  const sink = async (source: AsyncIterable<Buffer>) => {
    try {
      await consume(source);
    } catch (err) {
      consumerError ??= err;
      throw err;
    }
  };
  try {
    if (gzip) await pipeline(raw, hasher, createGunzip({ chunkSize: 1 << 20 }), sink);
    else await pipeline(raw, hasher, sink);
  } catch (err) {
    const cause = consumerError ?? err;
    if (isUserError(cause)) throw cause;
    throw gzip ? gzipError(file, cause) : fileError(file, cause);
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Hash of the bytes on disk, without parsing (the cache fast path). */
export async function hashFile(file: SourceFile, onBytes?: (bytes: number) => void): Promise<FileDigest> {
  fileSize(file);
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of createReadStream(file.abs, { highWaterMark: 1 << 20 })) {
      hash.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
      onBytes?.(bytes);
    }
  } catch (err) {
    throw fileError(file, err);
  }
  return { sha256: hash.digest('hex'), bytes };
}

function gzipError(file: SourceFile, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'Z_BUF_ERROR') {
    return new UserError(`${file.display}: the gzip data ends early: the file is truncated (an interrupted download or copy?). Download or compress it again.`);
  }
  if (code === 'Z_DATA_ERROR') {
    return new UserError(`${file.display}: the gzip data is corrupt (${(err as Error).message}). Download or compress the file again.`);
  }
  return fileError(file, err);
}
