/** Random-access batch reads from an encoded split (the layout is described in store.ts). */
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { decodeOneHot } from './encoding.js';
import { META_FILE, cacheDirOf, missingCacheError, readFully, readMeta, recordSize } from './store.js';
import type { DatasetManifest, EncodedSplit, ReadBatchOptions, SplitFile } from './types.js';

/** Splits up to this size are read into memory once; larger ones are read record by record. */
const IN_MEMORY_BYTES = 256 << 20;

export function openSplit(file: SplitFile, manifest: DatasetManifest, options: { inMemoryBytes?: number } = {}): EncodedSplit {
  const seqLen = manifest.seqLen;
  const numTasks = manifest.taskNames.length;
  const size = recordSize(seqLen, numTasks);
  let fd: number;
  try {
    fd = openSync(file.path, 'r');
  } catch {
    throw missingCacheError(manifest, `has no file ${file.path}`);
  }
  const bytes = fstatSync(fd).size;
  if (bytes !== file.count * size) {
    closeSync(fd);
    throw missingCacheError(manifest, `has ${file.path} of ${bytes} bytes, expected ${file.count} records of ${size} bytes`);
  }
  if (bytes <= (options.inMemoryBytes ?? IN_MEMORY_BYTES)) {
    try {
      return memorySplit(readFileSync(fd), seqLen, numTasks);
    } finally {
      closeSync(fd);
    }
  }
  const scratch = new Uint8Array(size);
  return recordSplit(file.count, seqLen, numTasks, {
    record(index) {
      if (fd < 0) throw new Error('readBatch after close()');
      readFully(fd, scratch, size, index * size);
      return scratch;
    },
    close() {
      if (fd >= 0) closeSync(fd);
      fd = -1;
    },
  });
}

/**
 * A split held in memory: `records` in the encoded cache's layout (store.ts), e.g. a small
 * split file read whole, or records predict has just encoded. Public API of src/data (tests build
 * synthetic splits with it too).
 */
export function memorySplit(records: Uint8Array, seqLen: number, numTasks: number): EncodedSplit {
  const size = recordSize(seqLen, numTasks);
  if (records.length % size !== 0) throw new RangeError(`${records.length} bytes are not whole records of ${size} bytes`);
  let all: Uint8Array | undefined = records;
  return recordSplit(records.length / size, seqLen, numTasks, {
    record(index) {
      if (!all) throw new Error('readBatch after close()');
      return all.subarray(index * size, (index + 1) * size);
    },
    close() {
      all = undefined;
    },
  });
}

/** readBatch over fixed-size records, wherever they come from. */
function recordSplit(count: number, seqLen: number, numTasks: number, source: { record(index: number): Uint8Array; close(): void }): EncodedSplit {
  return {
    count,
    seqLen,
    numTasks,
    readBatch(indices: ArrayLike<number>, x: Float32Array, y: Float32Array, opts: ReadBatchOptions = {}): void {
      const n = indices.length;
      if (x.length < n * seqLen * 4 || y.length < n * numTasks) {
        throw new RangeError(`readBatch: x needs ${n * seqLen * 4} floats and y ${n * numTasks}, got ${x.length} and ${y.length}`);
      }
      for (let i = 0; i < n; i++) {
        const index = indices[i]!;
        if (!Number.isInteger(index) || index < 0 || index >= count) {
          throw new RangeError(`sample index ${index} is outside the split's 0..${count - 1}`);
        }
        const rec = source.record(index);
        decodeOneHot(rec.subarray(0, seqLen), x, i * seqLen * 4, opts.reverseComplement);
        for (let t = 0; t < numTasks; t++) y[i * numTasks + t] = rec[seqLen + t]!;
      }
    },
    close: () => source.close(),
  };
}

/**
 * Checks, before training, that this machine's encoded data is the data the sweep was validated
 * with: the manifest's fingerprint equals `expected` (the sweep's), and the cache folder holds that
 * fingerprint's complete split files. Throws a UserError saying what differs.
 */
export function verifyFingerprint(manifest: DatasetManifest, expected: string): void {
  const dir = cacheDirOf(manifest);
  const meta = readMeta(dir);
  if (manifest.fingerprint !== expected) {
    const sources = meta ? ` (${Object.values(meta.sources).join(', ')})` : '';
    throw new UserError(
      `The dataset here${sources} has fingerprint ${manifest.fingerprint.slice(0, 12)}, but the sweep was started with ${expected.slice(0, 12)}: this machine's copy of the data differs from the one the sweep was validated with. Give every worker identical data files and encoding options.`,
    );
  }
  if (!meta) throw missingCacheError(manifest, `has no readable ${META_FILE}`);
  if (meta.fingerprint !== manifest.fingerprint) throw missingCacheError(manifest, `holds fingerprint ${meta.fingerprint.slice(0, 12)} instead`);
  for (const [name, split] of Object.entries(manifest.splits)) {
    if (meta.counts[name as keyof typeof meta.counts] !== split.count) throw missingCacheError(manifest, `has a different ${name} split`);
    openSplit(split, manifest, { inMemoryBytes: 0 }).close();
  }
}
