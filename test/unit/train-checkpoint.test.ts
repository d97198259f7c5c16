/** Checkpoint files: exact round trip, atomic replacement, truncation detected. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { type Checkpoint, checkpointPath, readCheckpoint, writeCheckpoint } from '../../src/train/checkpoint.js';
import { tinyVariant } from './train-helpers.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'danq-checkpoint-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function sample(epoch: number): Checkpoint {
  const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed + i) * 1e-3);
  return {
    variant: tinyVariant(),
    backend: 'wasm',
    epoch,
    history: [{ epoch: 1, trainLoss: 0.5, valLoss: 0.6, valAuc: 0.7, valPrAuc: 0.65, seconds: 1.5, samplesPerSec: 100 }],
    rng: { shuffle: -123456789, dropout: 42 },
    earlyStopping: { best: 0.7, bestEpoch: 1, wait: 0, stopped: false },
    optimizer: { step: 19, slots: [values(7, 1), values(3, 2)] },
    weights: [values(5, 3), values(1, 4)],
    bestWeights: [values(5, 5), values(1, 6)],
  };
}

test('a checkpoint reads back exactly as written', () => {
  const dir = path.join(scratch, 'roundtrip');
  writeCheckpoint(dir, sample(1));
  assert.deepEqual(readCheckpoint(dir), sample(1));
});

test('rewriting replaces the file atomically and leaves no temp files', () => {
  const dir = path.join(scratch, 'rewrite');
  writeCheckpoint(dir, sample(1));
  writeCheckpoint(dir, sample(2));
  assert.equal(readCheckpoint(dir)!.epoch, 2);
  assert.deepEqual(readdirSync(dir), ['checkpoint.bin']);
});

test('no checkpoint is undefined; a truncated one is an error', () => {
  assert.equal(readCheckpoint(path.join(scratch, 'none')), undefined);
  const dir = path.join(scratch, 'truncated');
  writeCheckpoint(dir, sample(1));
  const file = checkpointPath(dir);
  truncateSync(file, statSync(file).size - 4);
  assert.throws(() => readCheckpoint(dir), /truncated or corrupt/);
  truncateSync(file, 100);
  assert.throws(() => readCheckpoint(dir), /truncated or corrupt/);
});
