/**
 * A trial's checkpoint: everything needed to continue training bit-identically (weights,
 * optimizer slots and step, RNG states, epoch history, early-stopping state) plus the best-epoch
 * weights for export. One object, `checkpoint.bin`, in an artifact store (a directory or S3;
 * src/artifacts), written atomically, so a crash mid-write leaves the previous checkpoint intact
 * and a worker on another machine resumes from the last complete one.
 *
 * Layout: magic `DANQCKP1`, u32 little-endian header length, a JSON header (padded to 4 bytes),
 * then the float32 arrays the header lists, in order.
 */
import { getBytes, openArtifactStore, type ArtifactStore, type S3Options } from '../artifacts/index.js';
import type { VariantConfig } from '../model/config.js';
import type { OptimizerState } from './optimizer.js';
import type { BackendName, EpochMetrics } from './types.js';

const CHECKPOINT_FILE = 'checkpoint.bin';
const MAGIC = 'DANQCKP1';

export interface EarlyStoppingState {
  /** Best value of the monitored metric so far (null before the first epoch). */
  best: number | null;
  /** 1-based epoch of `best`; 0 before the first epoch. */
  bestEpoch: number;
  /** Epochs since the last improvement. */
  wait: number;
  stopped: boolean;
}

export interface Checkpoint {
  variant: VariantConfig;
  /** Backend that wrote it (bit-identical resumption needs the same one). */
  backend: BackendName;
  /** Epochs completed. */
  epoch: number;
  history: EpochMetrics[];
  /** Rng states of the batch-order and dropout streams. */
  rng: { shuffle: number; dropout: number };
  earlyStopping: EarlyStoppingState;
  optimizer: OptimizerState;
  weights: Float32Array[];
  bestWeights: Float32Array[];
}

interface Header extends Omit<Checkpoint, 'optimizer' | 'weights' | 'bestWeights'> {
  /** 1; read from the file, so any number until checked. */
  version: number;
  optimizerStep: number;
  /** Lengths of the stored arrays, by group, in file order. */
  arrays: { weights: number[]; slots: number[]; bestWeights: number[] };
}

/** A trial's checkpoint location (a directory or s3:// URL), or a store already open on it. */
export type CheckpointLocation = ArtifactStore | string;

const storeOf = (where: CheckpointLocation, s3?: S3Options) => (typeof where === 'string' ? openArtifactStore(where, s3) : where);

export async function writeCheckpoint(where: CheckpointLocation, checkpoint: Checkpoint, s3?: S3Options): Promise<void> {
  const { optimizer, weights, bestWeights, ...rest } = checkpoint;
  const header: Header = {
    version: 1,
    ...rest,
    optimizerStep: optimizer.step,
    arrays: { weights: weights.map((a) => a.length), slots: optimizer.slots.map((a) => a.length), bestWeights: bestWeights.map((a) => a.length) },
  };
  let json = JSON.stringify(header);
  json += ' '.repeat((4 - ((MAGIC.length + 4 + Buffer.byteLength(json)) % 4)) % 4);
  const prefix = Buffer.alloc(MAGIC.length + 4);
  prefix.write(MAGIC, 0, 'latin1');
  prefix.writeUInt32LE(Buffer.byteLength(json), MAGIC.length);

  const arrays = [...weights, ...optimizer.slots, ...bestWeights].map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  await (await storeOf(where, s3)).put(CHECKPOINT_FILE, [prefix, Buffer.from(json, 'utf8'), ...arrays]);
}

/** A checkpoint whose content cannot be a checkpoint (torn or damaged bytes); unlike a read error, retrying cannot help. */
export class CorruptCheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptCheckpointError';
  }
}

/** The checkpoint at `where`, or undefined when there is none; CorruptCheckpointError when its bytes are damaged. */
export async function readCheckpoint(where: CheckpointLocation, s3?: S3Options): Promise<Checkpoint | undefined> {
  const store = await storeOf(where, s3);
  const file = store.locate(CHECKPOINT_FILE);
  const bytes = await getBytes(store, CHECKPOINT_FILE);
  return bytes && parseCheckpointOrCorrupt(file, bytes);
}

function parseCheckpointOrCorrupt(file: string, bytes: Buffer): Checkpoint {
  try {
    return parseCheckpoint(file, bytes);
  } catch (err) {
    throw err instanceof CorruptCheckpointError ? err : new CorruptCheckpointError(`${file} is truncated or corrupt (${(err as Error).message})`);
  }
}

/**
 * The checkpoint to resume from. A damaged one is moved aside (to `checkpoint.bin.corrupt`, with
 * the reason in `checkpoint.bin.corrupt.txt`, for inspection) and training starts over from epoch 1,
 * which the seed makes the same run; `onDiscard` gets the reason. Only damage that a second read
 * confirms counts: one bad read (a flaky device or network, a writer's rename in between) must not
 * cost a good checkpoint. A checkpoint that cannot be read at all (permissions, I/O, the object
 * store down) still throws: it may be fine.
 */
export async function readCheckpointOrDiscard(where: CheckpointLocation, onDiscard: (reason: string) => void, s3?: S3Options): Promise<Checkpoint | undefined> {
  const store = await storeOf(where, s3);
  try {
    return await readCheckpoint(store);
  } catch (err) {
    if (!(err instanceof CorruptCheckpointError)) throw err;
    const damaged = await getBytes(store, CHECKPOINT_FILE);
    if (!damaged) return undefined;
    const reread = (() => {
      try {
        return parseCheckpointOrCorrupt(store.locate(CHECKPOINT_FILE), damaged);
      } catch {
        return undefined; // damaged on both reads
      }
    })();
    if (reread) return reread;
    await store.put(`${CHECKPOINT_FILE}.corrupt`, damaged);
    await store.delete(CHECKPOINT_FILE);
    const reason = `${err.message}: moved it to ${store.locate(`${CHECKPOINT_FILE}.corrupt`)} and training from epoch 1`;
    await store.put(`${CHECKPOINT_FILE}.corrupt.txt`, Buffer.from(`${new Date().toISOString()} ${reason}\n`));
    onDiscard(reason);
    return undefined;
  }
}

function parseCheckpoint(file: string, bytes: Buffer): Checkpoint {
  if (bytes.toString('latin1', 0, MAGIC.length) !== MAGIC) throw new CorruptCheckpointError(`${file} is not a danq-sweep checkpoint`);
  const headerLength = bytes.readUInt32LE(MAGIC.length);
  const dataStart = MAGIC.length + 4 + headerLength;
  if (dataStart > bytes.length) throw new CorruptCheckpointError(`${file} is truncated or corrupt (${bytes.length} bytes, header alone needs ${dataStart})`);
  const header = JSON.parse(bytes.toString('utf8', MAGIC.length + 4, dataStart)) as Header;
  if (header.version !== 1) throw new CorruptCheckpointError(`${file}: unsupported checkpoint version ${String(header.version)}`);
  // Sizes come from the file: check them against its byte count before allocating anything.
  const { arrays } = header as { arrays?: Record<string, unknown> };
  const lengths = [arrays?.weights, arrays?.slots, arrays?.bestWeights];
  if (!lengths.every((group) => Array.isArray(group) && group.every((n) => Number.isSafeInteger(n) && (n as number) >= 0))) {
    throw new CorruptCheckpointError(`${file} is corrupt (its header's array lengths are not lists of non-negative integers)`);
  }
  const declared = (lengths as number[][]).flat().reduce((sum, n) => sum + 4 * n, 0);
  if (dataStart + declared !== bytes.length) {
    throw new CorruptCheckpointError(`${file} is truncated or corrupt (${bytes.length} bytes, its header declares ${dataStart + declared})`);
  }
  let offset = dataStart;
  const take = (lengths: number[]) =>
    lengths.map((length) => {
      // Copy: the file buffer's offset need not be 4-byte aligned.
      const array = new Float32Array(length);
      new Uint8Array(array.buffer).set(bytes.subarray(offset, offset + 4 * length));
      offset += 4 * length;
      return array;
    });
  const weights = take(header.arrays.weights);
  const slots = take(header.arrays.slots);
  const bestWeights = take(header.arrays.bestWeights);
  const { version: _version, optimizerStep, arrays: _arrays, ...rest } = header;
  return { ...rest, optimizer: { step: optimizerStep, slots }, weights, bestWeights };
}
