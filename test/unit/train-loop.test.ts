/**
 * The training loop on tiny planted-motif data (wasm backend): learning, bit-identical resume
 * (ASHA-style untilEpoch continuation and after a cancellation), early stopping with best-epoch
 * weights, no tensor leaks, non-finite loss, export.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { DatasetManifest, EncodedSplit } from '../../src/data/types.js';
import type { VariantConfig } from '../../src/model/config.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { exportModel, loadExportedModel } from '../../src/train/export.js';
import { Network, probabilities } from '../../src/train/network.js';
import { NonFiniteLossError, trainModel, type TrainSplits } from '../../src/train/train.js';
import type { TrainRequest } from '../../src/train/types.js';
import { plantedMotifSplits, tinyVariant } from './train-helpers.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'danq-train-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => path.join(scratch, `run-${++dirs}`);

/** trainModel reads splits, not the manifest; the manifest only travels to the runner. */
const UNUSED_MANIFEST: DatasetManifest = { fingerprint: 'test', seqLen: 0, taskNames: [], splits: { train: { path: '', count: 0 }, valid: { path: '', count: 0 } } };

function request(variant: VariantConfig, checkpointDir: string, overrides: Partial<TrainRequest> = {}): TrainRequest {
  return { variant, dataset: UNUSED_MANIFEST, backend: 'wasm', untilEpoch: variant.epochs, checkpointDir, ...overrides };
}

test('learns a planted motif: validation ROC AUC above 0.9', async () => {
  const v = tinyVariant({ epochs: 5 });
  const result = await trainModel(request(v, freshDir()), plantedMotifSplits(v, 1000, 300));
  assert.equal(result.status, 'completed');
  assert.equal(result.backend, 'wasm');
  assert.equal(result.epochs.length, 5);
  assert.ok(result.bestValAuc > 0.9, `best val AUC ${result.bestValAuc}`);
  const last = result.epochs.at(-1)!;
  assert.ok(last.trainLoss < result.epochs[0]!.trainLoss);
  assert.ok(last.valPrAuc > 0.5 && last.seconds > 0 && last.samplesPerSec > 0);
});

test('resuming at untilEpoch 2 then 4 is bit-identical to training 4 epochs at once', async () => {
  const v = tinyVariant({ rnn: 'gru', tasks: 2, epochs: 4 });
  const splits = plantedMotifSplits(v, 300, 100);
  const straightDir = freshDir();
  const straight = await trainModel(request(v, straightDir), splits);

  const dir = freshDir();
  const first = await trainModel(request(v, dir, { untilEpoch: 2 }), splits);
  assert.equal(first.epochs.length, 2);
  const resumed = await trainModel(request(v, dir, { untilEpoch: 4 }), splits);
  assert.deepEqual(withoutTimings(resumed), withoutTimings(straight));
  assert.deepEqual(readCheckpoint(dir)!.weights, readCheckpoint(straightDir)!.weights);
});

test('a run cancelled mid-epoch resumes from its last checkpoint bit-identically', async () => {
  const v = tinyVariant({ epochs: 3 });
  const splits = plantedMotifSplits(v, 300, 100);
  const straight = await trainModel(request(v, freshDir()), splits);

  const dir = freshDir();
  let batches = 0;
  const batchesPerEpoch = Math.ceil(300 / v.batchSize);
  // Stop during the second epoch.
  const cancelled = await trainModel(request(v, dir), splits, { shouldStop: () => ++batches > batchesPerEpoch + 3 });
  assert.equal(cancelled.status, 'cancelled');
  assert.equal(cancelled.epochs.length, 1);
  assert.equal(readCheckpoint(dir)!.epoch, 1);
  const resumed = await trainModel(request(v, dir), splits);
  assert.deepEqual(withoutTimings(resumed), withoutTimings(straight));
});

test('cancelling before the first batch trains nothing and writes no checkpoint', async () => {
  const v = tinyVariant();
  const dir = freshDir();
  const result = await trainModel(request(v, dir), plantedMotifSplits(v, 100, 50), { shouldStop: () => true });
  assert.equal(result.status, 'cancelled');
  assert.deepEqual(result.epochs, []);
  assert.equal(result.bestEpoch, 0);
  assert.ok(Number.isNaN(result.bestValAuc));
  assert.equal(readCheckpoint(dir), undefined);
});

test('early stopping keeps the best epoch, and a later call does not train on', async () => {
  // No epoch can beat epoch 1's AUC by more than 1: patience 2 stops after epoch 3.
  const v = tinyVariant({ epochs: 10 });
  const dir = freshDir();
  const splits = plantedMotifSplits(v, 100, 50);
  const earlyStopping = { metric: 'val_auc' as const, patience: 2, minDelta: 1 };
  const result = await trainModel(request(v, dir, { earlyStopping }), splits);
  assert.equal(result.status, 'early-stopped');
  assert.equal(result.epochs.length, 3);
  assert.equal(result.bestEpoch, 1);
  assert.equal(result.bestValAuc, result.epochs[0]!.valAuc);
  // The best weights kept are epoch 1's, not the last epoch's.
  const epochOneDir = freshDir();
  await trainModel(request(v, epochOneDir, { untilEpoch: 1 }), splits);
  assert.deepEqual(readCheckpoint(dir)!.bestWeights, readCheckpoint(epochOneDir)!.weights);
  assert.notDeepEqual(readCheckpoint(dir)!.bestWeights, readCheckpoint(dir)!.weights);
  const again = await trainModel(request(v, dir, { earlyStopping }), splits);
  assert.equal(again.status, 'early-stopped');
  assert.equal(again.epochs.length, 3);
});

test('no tensor leaks: the tensor count is the same after every epoch and back to the start after training', async () => {
  const v = tinyVariant({ epochs: 3 });
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  await trainModel(request(v, freshDir()), plantedMotifSplits(v, 100, 50), { onEpoch: () => void counts.push(tf.memory().numTensors) });
  assert.equal(counts.length, 3);
  assert.equal(new Set(counts).size, 1, `tensors per epoch: ${counts.join(', ')}`);
  assert.equal(tf.memory().numTensors, before);
});

test('a non-finite loss throws NonFiniteLossError naming the epoch', async () => {
  const v = tinyVariant();
  const { train, valid } = plantedMotifSplits(v, 100, 50);
  const poisoned: EncodedSplit = {
    ...train,
    readBatch(indices, x, y, options) {
      train.readBatch(indices, x, y, options);
      x[0] = Number.NaN;
    },
  };
  await assert.rejects(trainModel(request(v, freshDir()), { train: poisoned, valid }), (err: unknown) => {
    assert.ok(err instanceof NonFiniteLossError);
    assert.equal(err.name, 'NonFiniteLossError');
    assert.match(err.message, /loss is NaN at epoch 1/);
    return true;
  });
});

test('the exported model loads with tf.loadLayersModel and predicts like the best-epoch weights', async () => {
  const v = tinyVariant({ epochs: 2, rnn: 'gru', returnSequences: false });
  const dir = freshDir();
  const splits = plantedMotifSplits(v, 200, 60);
  await trainModel(request(v, dir), splits);
  const outDir = freshDir();
  await exportModel(dir, v, outDir);
  assert.deepEqual(readdirSync(outDir).sort(), ['model.json', 'weights.bin']);

  const model = await loadExportedModel(outDir);
  const network = new Network(v, readCheckpoint(dir)!.bestWeights);
  const n = 8;
  const x = new Float32Array(n * v.seqLen * 4);
  splits.valid.readBatch(Int32Array.from({ length: n }, (_, i) => i), x, new Float32Array(n * v.tasks));
  const loaded = tf.tidy(() => (model.predict(tf.tensor3d(x, [n, v.seqLen, 4])) as tf.Tensor).dataSync());
  const fast = tf.tidy(() => probabilities(network.logits(x, n), v.outputActivation).dataSync());
  for (let i = 0; i < n; i++) assert.ok(Math.abs(loaded[i]! - fast[i]!) < 1e-5, `sample ${i}: ${loaded[i]} vs ${fast[i]}`);
  network.dispose();
  model.dispose();
});

test('a dataset that does not fit the variant is a UserError naming the mismatch', async () => {
  const v = tinyVariant();
  const splits: TrainSplits = plantedMotifSplits(tinyVariant({ seqLen: 60 }), 50, 20);
  await assert.rejects(trainModel(request(v, freshDir()), splits), /train split has sequences of length 60, the variant's seqLen is 50/);
});

/** Epoch seconds and throughput are wall-clock: everything else must match exactly. */
function withoutTimings(result: Awaited<ReturnType<typeof trainModel>>) {
  return { ...result, epochs: result.epochs.map(({ seconds: _s, samplesPerSec: _r, ...rest }) => rest) };
}

