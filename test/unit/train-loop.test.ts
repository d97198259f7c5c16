/**
 * The training loop on tiny synthetic JASPAR-motif data (wasm backend): learning, bit-identical
 * resume (ASHA-style untilEpoch continuation, with and without reverse-complement augmentation, and
 * after a cancellation), strand-averaged validation, early stopping with best-epoch weights, no
 * tensor leaks, non-finite loss, export.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { DatasetManifest, EncodedSplit } from '../../src/data/types.js';
import { evaluateTasks } from '../../src/metrics/index.js';
import type { VariantConfig } from '../../src/model/config.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { exportModel, loadExportedModel } from '../../src/train/export.js';
import { Network, probabilities } from '../../src/train/fast/network.js';
import { predict, trainModel, validationBatchSize, type TrainSplits } from '../../src/train/train.js';
import { resolveVariant } from '../../src/model/presets.js';
import { NonFiniteLossError } from '../../src/domain/permanent-errors.js';
import type { TrainRequest } from '../../src/train/types.js';
import { synthSplits, tinyVariant } from './train-helpers.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'danq-train-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => path.join(scratch, `run-${++dirs}`);

/** trainModel reads the splits it is given; of the manifest, only reverseComplement. */
const UNUSED_MANIFEST: DatasetManifest = { fingerprint: 'test', seqLen: 0, taskNames: [], splits: { train: { path: '', count: 0 }, valid: { path: '', count: 0 } } };
const REVERSE_COMPLEMENT: DatasetManifest = { ...UNUSED_MANIFEST, reverseComplement: true };

function request(variant: VariantConfig, checkpointDir: string, overrides: Partial<TrainRequest> = {}): TrainRequest {
  return { variant, dataset: UNUSED_MANIFEST, backend: 'wasm', untilEpoch: variant.epochs, checkpointDir, ...overrides };
}

test('learns a planted motif: validation ROC AUC above 0.9', async () => {
  const v = tinyVariant({ epochs: 5 });
  const result = await trainModel(request(v, freshDir()), synthSplits(v, 1000, 300));
  assert.equal(result.status, 'completed');
  assert.equal(result.backend, 'wasm');
  assert.equal(result.epochs.length, 5);
  assert.ok(result.bestValAuc > 0.9, `best val AUC ${result.bestValAuc}`);
  const last = result.epochs.at(-1)!;
  assert.ok(last.trainLoss < result.epochs[0]!.trainLoss);
  assert.ok(last.valPrAuc > 0.5 && last.seconds > 0 && last.samplesPerSec > 0);
  assert.ok(result.inferenceMsPer1k !== null && Number.isFinite(result.inferenceMsPer1k) && result.inferenceMsPer1k > 0, `inference ${result.inferenceMsPer1k} ms per 1,000 sequences`);
  // Timed during the epochs' validation: no extra forward pass at the end.
  assert.equal(result.phaseMs.inferenceTiming, 0);
});

test('resuming at untilEpoch 2 then 4 is bit-identical to training 4 epochs at once, with and without reverse complement', async () => {
  const v = tinyVariant({ rnn: 'gru', tasks: 2, epochs: 4 });
  const splits = synthSplits(v, 300, 100);
  const weights: Float32Array[][] = [];
  for (const dataset of [UNUSED_MANIFEST, REVERSE_COMPLEMENT]) {
    const straightDir = freshDir();
    const straight = await trainModel(request(v, straightDir, { dataset }), splits);

    const dir = freshDir();
    const first = await trainModel(request(v, dir, { dataset, untilEpoch: 2 }), splits);
    assert.equal(first.epochs.length, 2);
    const resumed = await trainModel(request(v, dir, { dataset, untilEpoch: 4 }), splits);
    assert.deepEqual(withoutTimings(resumed), withoutTimings(straight));
    assert.deepEqual((await readCheckpoint(dir))!.weights, (await readCheckpoint(straightDir))!.weights);
    weights.push((await readCheckpoint(dir))!.weights);
  }
  // The augmentation is in effect: it trains other weights from the same seed.
  assert.notDeepEqual(weights[1], weights[0]);
});

test('a run cancelled mid-epoch resumes from its last checkpoint bit-identically', async () => {
  const v = tinyVariant({ epochs: 3 });
  const splits = synthSplits(v, 300, 100);
  const straight = await trainModel(request(v, freshDir()), splits);

  const dir = freshDir();
  let batches = 0;
  const batchesPerEpoch = Math.ceil(300 / v.batchSize);
  // Stop during the second epoch.
  const cancelled = await trainModel(request(v, dir), splits, { shouldStop: () => ++batches > batchesPerEpoch + 3 });
  assert.equal(cancelled.status, 'cancelled');
  assert.equal(cancelled.epochs.length, 1);
  assert.equal((await readCheckpoint(dir))!.epoch, 1);
  const resumed = await trainModel(request(v, dir), splits);
  assert.deepEqual(withoutTimings(resumed), withoutTimings(straight));
});

test('with reverse complement, each epoch reads every training sample once, about half of them as the reverse strand', async () => {
  const v = tinyVariant({ epochs: 2 });
  const { train, valid } = synthSplits(v, 200, 50);
  const reads: { index: number; reverse: boolean }[][] = [[], []];
  let epoch = 0;
  const spy: EncodedSplit = {
    ...train,
    readBatch(indices, x, y, options) {
      for (const index of Array.from(indices)) reads[epoch]!.push({ index, reverse: options?.reverseComplement === true });
      train.readBatch(indices, x, y, options);
    },
  };
  await trainModel(
    request(v, freshDir(), { dataset: REVERSE_COMPLEMENT }),
    { train: spy, valid },
    {
      onEpoch: () => {
        epoch++;
      },
    },
  );
  const reversed = reads.map((epochReads) => new Set(epochReads.filter((r) => r.reverse).map((r) => r.index)));
  for (const [i, epochReads] of reads.entries()) {
    assert.deepEqual(
      epochReads.map((r) => r.index).sort((a, b) => a - b),
      Array.from({ length: 200 }, (_, k) => k),
    );
    assert.ok(reversed[i]!.size > 70 && reversed[i]!.size < 130, `epoch ${i + 1}: ${reversed[i]!.size} of 200 reversed`);
  }
  // A fresh choice each epoch.
  assert.notDeepEqual(reversed[0], reversed[1]);
});

test("with reverse complement, validation scores are the mean of both strands' probabilities", async () => {
  const v = tinyVariant({ tasks: 2, epochs: 1 });
  const splits = synthSplits(v, 200, 100);
  const dir = freshDir();
  const [epoch] = (await trainModel(request(v, dir, { dataset: REVERSE_COMPLEMENT }), splits)).epochs;
  // Epoch 1 validated the weights its checkpoint holds: score each strand alone with them.
  const network = new Network(v, (await readCheckpoint(dir))!.weights);
  const reverseStrand: EncodedSplit = { ...splits.valid, readBatch: (indices, x, y) => splits.valid.readBatch(indices, x, y, { reverseComplement: true }) };
  // In the batches validation uses (the loss is a mean per batch, so its last bits depend on them).
  const forward = predict(network, splits.valid, false, undefined, validationBatchSize(v));
  const reverse = predict(network, reverseStrand, false, undefined, validationBatchSize(v));
  const both = predict(network, splits.valid, true, undefined, validationBatchSize(v));
  network.dispose();
  const mean = forward.scores.map((p, i) => (p + reverse.scores[i]!) / 2);
  assert.deepEqual(both.scores, mean);
  const averaged = evaluateTasks(forward.labels, mean, v.tasks);
  assert.equal(epoch!.valAuc, averaged.meanRocAuc);
  assert.equal(epoch!.valPrAuc, averaged.meanPrAuc);
  assert.ok(Math.abs(epoch!.valLoss - (forward.loss + reverse.loss) / 2) < 1e-9, `${epoch!.valLoss} vs ${(forward.loss + reverse.loss) / 2}`);
  // ...and not the forward strand's alone.
  assert.notEqual(evaluateTasks(forward.labels, forward.scores, v.tasks).meanRocAuc, averaged.meanRocAuc);
});

test('validation runs in batches of 8x the training batch, capped by the conv output for large models, to the AUC of training-size batches within 1e-6', async () => {
  assert.equal(validationBatchSize(resolveVariant('danq-lite', {})), 8 * 64);
  // Full DanQ: 975 x 320 conv outputs per sequence, so the training batch of 100 stays.
  assert.equal(validationBatchSize(resolveVariant('danq', {})), 100);
  // DanQ on 200 bp: 175 x 320 conv outputs, capped between the two.
  assert.equal(validationBatchSize(resolveVariant('danq', { seqLen: 200 })), 299);
  const v = tinyVariant({ tasks: 2, epochs: 1 });
  const splits = synthSplits(v, 200, 300);
  const dir = freshDir();
  const trained = await trainModel(request(v, dir, { dataset: REVERSE_COMPLEMENT }), splits);
  const [epoch] = trained.epochs;
  // Both strands: each batch's second call is timed.
  assert.ok(trained.inferenceMsPer1k !== null && trained.inferenceMsPer1k > 0 && trained.phaseMs.inferenceTiming === 0);
  // One strand, batches of 256 and 44: first calls only, so one of them is timed once more.
  const oneStrand = await trainModel(request(v, freshDir()), splits);
  assert.ok(oneStrand.inferenceMsPer1k !== null && Number.isFinite(oneStrand.inferenceMsPer1k) && oneStrand.inferenceMsPer1k > 0);
  assert.ok(oneStrand.phaseMs.inferenceTiming > 0);
  const network = new Network(v, (await readCheckpoint(dir))!.weights);
  const large = predict(network, splits.valid, true, undefined, validationBatchSize(v));
  const small = predict(network, splits.valid, true);
  network.dispose();
  const largeAuc = evaluateTasks(large.labels, large.scores, v.tasks).meanRocAuc!;
  const smallAuc = evaluateTasks(small.labels, small.scores, v.tasks).meanRocAuc!;
  const maxScoreDifference = Math.max(...large.scores.map((p, i) => Math.abs(p - small.scores[i]!)));
  console.log(`# batch ${validationBatchSize(v)} vs ${v.batchSize}: scores differ by at most ${maxScoreDifference}, AUC ${largeAuc} vs ${smallAuc}, loss ${large.loss} vs ${small.loss}`);
  assert.ok(maxScoreDifference <= 1e-6);
  assert.ok(Math.abs(largeAuc - smallAuc) <= 1e-6);
  // The epoch's validation is the large-batch one, to the bit.
  assert.equal(epoch!.valAuc, largeAuc);
  assert.equal(epoch!.valLoss, large.loss);
});

test('cancelling before the first batch trains nothing and writes no checkpoint', async () => {
  const v = tinyVariant();
  const dir = freshDir();
  const result = await trainModel(request(v, dir), synthSplits(v, 100, 50), { shouldStop: () => true });
  assert.equal(result.status, 'cancelled');
  assert.deepEqual(result.epochs, []);
  assert.equal(result.bestEpoch, 0);
  assert.equal(result.inferenceMsPer1k, null);
  assert.ok(Number.isNaN(result.bestValAuc));
  assert.equal(await readCheckpoint(dir), undefined);
});

test('early stopping keeps the best epoch, and a later call does not train on', async () => {
  // No epoch can beat epoch 1's AUC by more than 1: patience 2 stops after epoch 3.
  const v = tinyVariant({ epochs: 10 });
  const dir = freshDir();
  const splits = synthSplits(v, 100, 50);
  const earlyStopping = { metric: 'val_auc' as const, patience: 2, minDelta: 1 };
  const result = await trainModel(request(v, dir, { earlyStopping }), splits);
  assert.equal(result.status, 'early-stopped');
  assert.equal(result.epochs.length, 3);
  assert.equal(result.bestEpoch, 1);
  assert.equal(result.bestValAuc, result.epochs[0]!.valAuc);
  // The best weights kept are epoch 1's, not the last epoch's.
  const epochOneDir = freshDir();
  await trainModel(request(v, epochOneDir, { untilEpoch: 1 }), splits);
  assert.deepEqual((await readCheckpoint(dir))!.bestWeights, (await readCheckpoint(epochOneDir))!.weights);
  assert.notDeepEqual((await readCheckpoint(dir))!.bestWeights, (await readCheckpoint(dir))!.weights);
  const again = await trainModel(request(v, dir, { earlyStopping }), splits);
  assert.equal(again.status, 'early-stopped');
  assert.equal(again.epochs.length, 3);
  // No epoch ran in this call: timed by a pass with the best epoch's weights, which the checkpoint kept.
  assert.ok(again.inferenceMsPer1k !== null && again.inferenceMsPer1k > 0);
  assert.ok(again.phaseMs.inferenceTiming > 0);
});

test('no tensor leaks: the tensor count is the same after every epoch and back to the start after training', async () => {
  const v = tinyVariant({ epochs: 3 });
  const before = tf.memory().numTensors;
  const counts: number[] = [];
  await trainModel(request(v, freshDir()), synthSplits(v, 100, 50), { onEpoch: () => void counts.push(tf.memory().numTensors) });
  assert.equal(counts.length, 3);
  assert.equal(new Set(counts).size, 1, `tensors per epoch: ${counts.join(', ')}`);
  assert.equal(tf.memory().numTensors, before);
});

test('a non-finite loss throws NonFiniteLossError naming the epoch', async () => {
  const v = tinyVariant();
  const { train, valid } = synthSplits(v, 100, 50);
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
  const splits = synthSplits(v, 200, 60);
  await trainModel(request(v, dir), splits);
  const outDir = freshDir();
  await exportModel(dir, v, outDir);
  assert.deepEqual(readdirSync(outDir).sort(), ['model.json', 'weights.bin']);

  const model = await loadExportedModel(outDir);
  const network = new Network(v, (await readCheckpoint(dir))!.bestWeights);
  const n = 8;
  const x = new Float32Array(n * v.seqLen * 4);
  splits.valid.readBatch(
    Int32Array.from({ length: n }, (_, i) => i),
    x,
    new Float32Array(n * v.tasks),
  );
  const loaded = tf.tidy(() => (model.predict(tf.tensor3d(x, [n, v.seqLen, 4])) as tf.Tensor).dataSync());
  const fast = tf.tidy(() => probabilities(network.logits(x, n), v.outputActivation).dataSync());
  for (let i = 0; i < n; i++) assert.ok(Math.abs(loaded[i]! - fast[i]!) < 1e-5, `sample ${i}: ${loaded[i]} vs ${fast[i]}`);
  network.dispose();
  model.dispose();
});

test('a dataset that does not fit the variant is a UserError naming the mismatch', async () => {
  const v = tinyVariant();
  const splits: TrainSplits = synthSplits(tinyVariant({ seqLen: 60 }), 50, 20);
  await assert.rejects(trainModel(request(v, freshDir()), splits), /train split has sequences of length 60, the variant's seqLen is 50/);
});

/** Epoch seconds, throughput and phase times are wall-clock: everything else must match exactly. */
function withoutTimings(result: Awaited<ReturnType<typeof trainModel>>) {
  const { inferenceMsPer1k: _i, phaseMs: _p, ...rest } = result;
  return { ...rest, epochs: result.epochs.map(({ seconds: _s, samplesPerSec: _r, ...epoch }) => epoch) };
}
