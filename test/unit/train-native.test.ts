/**
 * The device-resident training step on tfjs-node (src/train/native): gradients equal autodiff
 * through the stock tfjs-layers model (computed on the pure-JS cpu backend), predictions equal
 * it, dropout masks are Keras' and seeded, training learns, resumes bit-identically, and the
 * exported model predicts like the trained weights in plain tfjs. Skipped, with the reason, when
 * tfjs-node is not built.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { DatasetManifest } from '../../src/data/types.js';
import type { VariantConfig } from '../../src/model/config.js';
import { Rng } from '../../src/rng.js';
import { selectBackend } from '../../src/train/backend.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { exportModel, loadExportedModel } from '../../src/train/export.js';
import { deviceDropoutMask, NativeNetwork } from '../../src/train/native/network.js';
import { NativeOptimizer } from '../../src/train/native/optimizer.js';
import { Optimizer, type OptimizerState, type WeightOptimizer } from '../../src/train/optimizer.js';
import { probabilities, weightSpecs } from '../../src/train/fast/network.js';
import { inferenceForward, predict, trainModel, validationBatchSize, type TrainSplits } from '../../src/train/train.js';
import { evaluateTasks } from '../../src/metrics/index.js';
import type { TrainRequest } from '../../src/train/types.js';
import { nativeSkip } from '../support/native.js';
import { synthSplits, tinyVariant } from './train-helpers.js';
import { cases, maxRelativeDifference, networkGradients, stockGradients, stockPredictions } from './train-network-checks.js';

/** Why the native tests cannot run here, or undefined when tfjs-node loads. */
async function nativeUnavailable(): Promise<string | undefined> {
  try {
    await selectBackend('tfjs-node');
    return undefined;
  } catch (err) {
    return `tfjs-node not built: npm run setup:native (${(err as Error).message})`;
  }
}
const skip = nativeSkip(await nativeUnavailable());

/**
 * Switches tfjs's backend for a reference computation and back (selectBackend refuses to leave a
 * native backend in one process, which protects trials, not tests).
 */
async function useBackend(name: 'cpu' | 'tensorflow'): Promise<void> {
  assert.ok(await tf.setBackend(name));
}
if (skip) console.log(`# SKIP native tests: ${skip}`);

const scratch = mkdtempSync(path.join(tmpdir(), 'danq-native-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => path.join(scratch, `run-${++dirs}`);
const MANIFEST: DatasetManifest = { fingerprint: 'test', seqLen: 0, taskNames: [], splits: { train: { path: '', count: 0 }, valid: { path: '', count: 0 } } };

function request(variant: VariantConfig, checkpointDir: string, overrides: Partial<TrainRequest> = {}): TrainRequest {
  return { variant, dataset: MANIFEST, backend: 'tfjs-node', untilEpoch: variant.epochs, checkpointDir, ...overrides };
}

const TOLERANCE = 1e-5;

test('gradients equal autodiff through the tfjs-layers model (native step vs stock model on cpu)', { skip }, async () => {
  const all = cases(4);
  await useBackend('cpu');
  const stock = all.map(stockGradients);
  await useBackend('tensorflow');
  all.forEach((c, k) => {
    const network = new NativeNetwork(c.v, c.weights);
    const native = networkGradients(network, c);
    network.dispose();
    assert.ok(Math.abs(native.value - stock[k]!.value) < TOLERANCE * Math.max(1, Math.abs(stock[k]!.value)), `${c.label}: ${native.value} vs ${stock[k]!.value}`);
    weightSpecs(c.v).forEach((spec, i) => {
      const difference = maxRelativeDifference(native.grads[i]!, stock[k]!.grads[i]!);
      assert.ok(difference < TOLERANCE, `${c.label} ${spec.name}: relative difference ${difference}`);
    });
  });
});

test('predictions equal the tfjs-layers model with the same weights', { skip }, async () => {
  const all = cases(6);
  await useBackend('cpu');
  const stock = all.map(stockPredictions);
  await useBackend('tensorflow');
  all.forEach((c, k) => {
    const network = new NativeNetwork(c.v, c.weights);
    const native = tf.tidy(() => probabilities(network.logits(c.x, c.n), c.v.outputActivation).dataSync());
    network.dispose();
    assert.ok(maxRelativeDifference(native, stock[k]!) < TOLERANCE, `${c.label}: ${maxRelativeDifference(native, stock[k]!)}`);
  });
});

test('dropout on tfjs-node: masks drop the rate and scale the rest like Keras, drawn from the trial Rng (same seed, same step)', { skip }, async () => {
  await useBackend('tensorflow');
  const rng = new Rng(11);
  const mask = tf.tidy(() => deviceDropoutMask([400, 500], 0.3, rng).dataSync());
  const zeros = mask.filter((m) => m === 0).length / mask.length;
  assert.ok(Math.abs(zeros - 0.3) < 0.005, `dropped ${zeros}`);
  assert.ok(mask.every((m) => m === 0 || m === Math.fround(1 / 0.7)));
  const [c] = cases(4);
  const run = (seed: number) => {
    const network = new NativeNetwork(c!.v, c!.weights);
    const dropout = new Rng(seed);
    const result = networkGradients(network, c!, dropout);
    network.dispose();
    return { ...result, rngState: dropout.state };
  };
  const first = run(5);
  assert.deepEqual(run(5), first);
  const other = run(6);
  assert.notEqual(other.value, first.value);
  const plain = new NativeNetwork(c!.v, c!.weights);
  assert.notEqual(first.value, networkGradients(plain, c!).value);
  plain.dispose();
  // Two draws per mask (conv and RNN output): the checkpointed Rng state covers the masks.
  const expected = new Rng(5);
  for (let i = 0; i < 4; i++) expected.next();
  assert.equal(first.rngState, expected.state);
});

test('trains on tfjs-node: learns the planted motif, one host read per batch, no tensor leaks, inference timed without an extra pass', { skip }, async () => {
  const v = tinyVariant({ epochs: 4 });
  const before = tf.memory().numTensors;
  const result = await trainModel(request(v, freshDir()), synthSplits(v, 1000, 300));
  assert.equal(result.backend, 'tfjs-node');
  assert.ok(result.bestValAuc > 0.9, `best val AUC ${result.bestValAuc}`);
  assert.equal(tf.memory().numTensors, before);
  // The inference time comes from the epochs' compiled validation passes: no extra pass at the end.
  assert.ok(result.inferenceMsPer1k !== null && Number.isFinite(result.inferenceMsPer1k) && result.inferenceMsPer1k > 0, `inference ${result.inferenceMsPer1k} ms per 1,000 sequences`);
  assert.equal(result.phaseMs.inferenceTiming, 0);
});

test('resuming at untilEpoch 2 then 4 is bit-identical to 4 epochs at once on tfjs-node (LSTM and GRU, compiled step)', { skip }, async () => {
  for (const rnn of ['lstm', 'gru'] as const) {
    const v = tinyVariant({ rnn, tasks: 2, epochs: 4 });
    const splits = synthSplits(v, 300, 100);
    const straightDir = freshDir();
    const straight = await trainModel(request(v, straightDir), splits);
    const dir = freshDir();
    await trainModel(request(v, dir, { untilEpoch: 2 }), splits);
    const resumed = await trainModel(request(v, dir), splits);
    assert.deepEqual(withoutTimings(resumed), withoutTimings(straight), rnn);
    assert.deepEqual((await readCheckpoint(dir))!.weights, (await readCheckpoint(straightDir))!.weights, rnn);
  }
});

test('trials run the compiled step by default and say so; compile: false runs the eager step, to the same results', { skip }, async () => {
  const v = tinyVariant({ rnn: 'gru', epochs: 2 });
  const splits = synthSplits(v, 300, 100);
  const compiledLog: string[] = [];
  const compiled = await trainModel(request(v, freshDir()), splits, { log: (line) => compiledLog.push(line) });
  const eagerLog: string[] = [];
  const eager = await trainModel(request(v, freshDir(), { compile: false }), splits, { log: (line) => eagerLog.push(line) });
  assert.equal(compiled.stepPath, 'compiled');
  assert.equal(eager.stepPath, 'eager');
  assert.ok(eagerLog.includes('training step: eager (training.compile is false)'), eagerLog.join('\n'));
  assert.ok(!compiledLog.some((line) => line.startsWith('training step:')), compiledLog.join('\n'));
  compiled.epochs.forEach((m, i) => {
    const e = eager.epochs[i]!;
    for (const key of ['trainLoss', 'valLoss', 'valAuc', 'valPrAuc'] as const) assert.ok(Math.abs(m[key] - e[key]) <= 1e-5, `epoch ${m.epoch} ${key}: ${m[key]} vs ${e[key]}`);
  });
});

test('xla: true trains to the results of the compiled step within 1e-5, says nothing, and resumes bit-identically', { skip }, async () => {
  const v = tinyVariant({ tasks: 2, epochs: 2 });
  const splits = synthSplits(v, 300, 100);
  const log: string[] = [];
  const plain = await trainModel(request(v, freshDir()), splits);
  const straightDir = freshDir();
  const straight = await trainModel(request(v, straightDir, { xla: true }), splits, { log: (line) => log.push(line) });
  assert.ok(!log.some((line) => line.startsWith('training step:')), log.join('\n'));
  straight.epochs.forEach((m, i) => {
    const p = plain.epochs[i]!;
    for (const key of ['trainLoss', 'valLoss', 'valAuc', 'valPrAuc'] as const) assert.ok(Math.abs(m[key] - p[key]) <= 1e-5, `epoch ${m.epoch} ${key}: ${m[key]} vs ${p[key]}`);
  });
  const dir = freshDir();
  await trainModel(request(v, dir, { xla: true, untilEpoch: 1 }), splits);
  const resumed = await trainModel(request(v, dir, { xla: true }), splits);
  assert.deepEqual(withoutTimings(resumed), withoutTimings(straight));
  assert.deepEqual((await readCheckpoint(dir))!.weights, (await readCheckpoint(straightDir))!.weights);
});

test('validation on tfjs-node runs the compiled forward in batches of 8x the training batch, to the AUC of training-size batches within 1e-6', { skip }, async () => {
  const v = tinyVariant({ tasks: 2, epochs: 1 });
  const splits = synthSplits(v, 200, 300);
  const dir = freshDir();
  await useBackend('tensorflow');
  const [epoch] = (await trainModel(request(v, dir, { dataset: { ...MANIFEST, reverseComplement: true } }), splits)).epochs;
  const network = new NativeNetwork(v, (await readCheckpoint(dir))!.weights);
  const compiled = inferenceForward(network);
  const large = predict(network, splits.valid, true, compiled.forward, validationBatchSize(v));
  const small = predict(network, splits.valid, true, compiled.forward);
  compiled.dispose();
  network.dispose();
  const largeAuc = evaluateTasks(large.labels, large.scores, v.tasks).meanRocAuc!;
  const smallAuc = evaluateTasks(small.labels, small.scores, v.tasks).meanRocAuc!;
  const maxScoreDifference = Math.max(...large.scores.map((p, i) => Math.abs(p - small.scores[i]!)));
  console.log(`# batch ${validationBatchSize(v)} vs ${v.batchSize}: scores differ by at most ${maxScoreDifference}, AUC ${largeAuc} vs ${smallAuc}`);
  assert.ok(maxScoreDifference <= 1e-6);
  assert.ok(Math.abs(largeAuc - smallAuc) <= 1e-6);
  assert.ok(Math.abs(epoch!.valAuc - largeAuc) <= 1e-6, `the epoch's validation AUC ${epoch!.valAuc} is the large-batch one ${largeAuc}`);
});

test('a model trained on tfjs-node exports in tfjs-layers format and predicts the same in plain tfjs (cpu)', { skip }, async () => {
  for (const overrides of [{ rnn: 'gru' as const }, { returnSequences: false, convStride: 2 }]) {
    const v = tinyVariant({ epochs: 2, ...overrides });
    const dir = freshDir();
    const splits: TrainSplits = synthSplits(v, 200, 60);
    await useBackend('tensorflow');
    await trainModel(request(v, dir), splits);
    const n = 8;
    const x = new Float32Array(n * v.seqLen * 4);
    splits.valid.readBatch(
      Int32Array.from({ length: n }, (_, i) => i),
      x,
      new Float32Array(n * v.tasks),
    );
    const network = new NativeNetwork(v, (await readCheckpoint(dir))!.bestWeights);
    const native = tf.tidy(() => probabilities(network.logits(x, n), v.outputActivation).dataSync());
    network.dispose();
    const outDir = freshDir();
    await exportModel(dir, v, outDir);
    await useBackend('cpu');
    const model = await loadExportedModel(outDir);
    const loaded = tf.tidy(() => (model.predict(tf.tensor3d(x, [n, v.seqLen, 4])) as tf.Tensor).dataSync());
    model.dispose();
    assert.ok(maxRelativeDifference(loaded, native) < TOLERANCE, `${JSON.stringify(overrides)}: ${maxRelativeDifference(loaded, native)}`);
  }
});

/**
 * Gradients whose magnitude alternates between 1e3 and 1e-3: RMSprop-as-Adam is only Keras' rule
 * if the m slot is zeroed before each update (m + (g - m) loses a small g after a large one).
 */
function optimizerRun(make: (weights: tf.Variable[]) => WeightOptimizer, steps: number, restoreAt?: number) {
  const rng = new Rng(8);
  const shapes = [[5, 3], [7]];
  const weights = tf.tidy(() =>
    shapes.map((shape) =>
      tf.variable(
        tf.tensor(
          Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.normal()),
          shape,
        ),
      ),
    ),
  );
  let optimizer = make(weights);
  const grads = Array.from({ length: steps }, (_, t) =>
    shapes.map((shape) =>
      tf.tensor(
        Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.normal() * (t % 2 ? 1e-3 : 1e3)),
        shape,
      ),
    ),
  );
  let state: OptimizerState | undefined;
  grads.forEach((g, t) => {
    if (t === restoreAt) {
      state = optimizer.getState();
      optimizer.dispose();
      optimizer = make(weights);
      optimizer.setState(state);
    }
    optimizer.apply(g);
  });
  const result = { weights: weights.map((w) => w.dataSync().slice() as Float32Array), state: optimizer.getState() };
  optimizer.dispose();
  tf.dispose([...weights, ...grads.flat()]);
  return result;
}

test('the fused native optimizer follows the host optimizer (Adam, RMSprop), restores its state exactly and frees its resources', { skip }, async () => {
  for (const kind of ['adam', 'rmsprop'] as const) {
    await useBackend('cpu');
    const host = optimizerRun((w) => new Optimizer(kind, 0.01, w), 6);
    await useBackend('tensorflow');
    const before = tf.memory().numTensors;
    const fused = optimizerRun((w) => new NativeOptimizer(kind, 0.01, w), 6);
    assert.equal(tf.memory().numTensors, before, `${kind}: tensors leaked`);
    fused.weights.forEach((w, i) => assert.ok(maxRelativeDifference(w, host.weights[i]!) < TOLERANCE, `${kind} weight ${i}: ${maxRelativeDifference(w, host.weights[i]!)}`));
    assert.equal(fused.state.slots.length, host.state.slots.length, kind);
    // TensorFlow forms 1 - b2 from b2 in float32: 1 - 0.999f is 1.3e-5 off 0.001, so v is too.
    const slotTolerance = kind === 'adam' ? 2e-5 : TOLERANCE;
    fused.state.slots.forEach((slot, i) => assert.ok(maxRelativeDifference(slot, host.state.slots[i]!) < slotTolerance, `${kind} slot ${i}: ${maxRelativeDifference(slot, host.state.slots[i]!)}`));
    const resumed = optimizerRun((w) => new NativeOptimizer(kind, 0.01, w), 6, 3);
    assert.deepEqual(resumed, fused, `${kind}: resumed at step 3`);
  }
});

function withoutTimings(result: Awaited<ReturnType<typeof trainModel>>) {
  const { inferenceMsPer1k: _i, phaseMs: _p, ...rest } = result;
  return { ...rest, epochs: result.epochs.map(({ seconds: _s, samplesPerSec: _r, ...epoch }) => epoch) };
}

test('the fused optimizer saves and restores a weight of more than 2^24 distinct values (full DanQ: a 44 M-value dense kernel)', { skip }, async () => {
  await useBackend('tensorflow');
  // One past 2^24 distinct floats (consecutive bit patterns from 1.0): a JavaScript Set, which
  // tf.tidy uses to walk what it returns, holds no more.
  const size = 2 ** 24 + 1;
  const slot = new Float32Array(Int32Array.from({ length: size }, (_, k) => 0x3f800000 + k).buffer);
  const weights = [tf.variable(tf.zeros([size]))];
  const optimizer = new NativeOptimizer('rmsprop', 0.01, weights);
  optimizer.setState({ step: 3, slots: [slot] });
  const state = optimizer.getState();
  assert.equal(state.step, 3);
  assert.ok(state.slots[0]!.length === size && state.slots[0]!.every((value, k) => value === slot[k]), 'the slot comes back bit-exact');
  optimizer.dispose();
  tf.dispose(weights);
});
