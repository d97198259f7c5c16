/**
 * A trial's checkpoint: everything needed to continue training bit-identically (weights,
 * optimizer slots and step, RNG states, epoch history, early-stopping state) plus the best-epoch
 * weights for export. One file, `checkpoint.bin`, written atomically (temp file, fsync, rename),
 * so a crash mid-write leaves the previous checkpoint intact.
 *
 * Layout: magic `DANQCKP1`, u32 little-endian header length, a JSON header (padded to 4 bytes),
 * then the float32 arrays the header lists, in order.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
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
  version: 1;
  optimizerStep: number;
  /** Lengths of the stored arrays, by group, in file order. */
  arrays: { weights: number[]; slots: number[]; bestWeights: number[] };
}

export function checkpointPath(dir: string): string {
  return path.join(dir, CHECKPOINT_FILE);
}

export function writeCheckpoint(dir: string, checkpoint: Checkpoint): void {
  mkdirSync(dir, { recursive: true });
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
  writeFileAtomically(checkpointPath(dir), [prefix, Buffer.from(json, 'utf8'), ...arrays]);
}

/** Writes `chunks` to a temp file, fsyncs it and renames it over `file`. */
export function writeFileAtomically(file: string, chunks: readonly Uint8Array[]): void {
  const temp = `${file}.tmp-${process.pid}`;
  const fd = openSync(temp, 'w');
  try {
    for (const chunk of chunks) writeSync(fd, chunk);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
}

/** A checkpoint file whose content cannot be a checkpoint (torn or damaged bytes); unlike a read error, retrying cannot help. */
export class CorruptCheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptCheckpointError';
  }
}

/** The checkpoint in `dir`, or undefined when there is none; CorruptCheckpointError when its bytes are damaged. */
export function readCheckpoint(dir: string): Checkpoint | undefined {
  const file = checkpointPath(dir);
  if (!existsSync(file)) return undefined;
  const bytes = readFileSync(file);
  try {
    return parseCheckpoint(file, bytes);
  } catch (err) {
    throw err instanceof CorruptCheckpointError ? err : new CorruptCheckpointError(`${file} is truncated or corrupt (${(err as Error).message})`);
  }
}

/**
 * The checkpoint to resume from. A damaged one is moved aside (to `checkpoint.bin.corrupt`, with
 * the reason in `checkpoint.bin.corrupt.txt`, for inspection) and training starts over from epoch 1,
 * which the seed makes the same run; `onDiscard` gets the reason. A file that cannot be read at all
 * (permissions, I/O) still throws: the checkpoint may be fine.
 */
export function readCheckpointOrDiscard(dir: string, onDiscard: (reason: string) => void): Checkpoint | undefined {
  try {
    return readCheckpoint(dir);
  } catch (err) {
    if (!(err instanceof CorruptCheckpointError)) throw err;
    const file = checkpointPath(dir);
    renameSync(file, `${file}.corrupt`);
    const reason = `${err.message}: moved it to ${file}.corrupt and training from epoch 1`;
    writeFileSync(`${file}.corrupt.txt`, `${new Date().toISOString()} ${reason}\n`);
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
  if (offset !== bytes.length) throw new CorruptCheckpointError(`${file} is truncated or corrupt (${bytes.length} bytes, expected ${offset})`);
  const { version: _version, optimizerStep, arrays: _arrays, ...rest } = header;
  return { ...rest, optimizer: { step: optimizerStep, slots }, weights, bestWeights };
}
