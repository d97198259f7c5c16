/**
 * The fast training path against the standard tfjs-layers model: same parameter count and
 * weight layout, same predictions (wasm), same gradients (pure-JS cpu backend: the stock conv1d
 * gradient kernel does not exist on wasm).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { resolveSynthOptions, syntheticSplit } from '../../src/data/index.js';
import type { VariantConfig } from '../../src/model/config.js';
import { buildLayersModel } from '../../src/model/layers.js';
import { resolveVariant } from '../../src/model/presets.js';
import { inspectVariant } from '../../src/model/shapes.js';
import { Rng } from '../../src/rng.js';
import { selectBackend } from '../../src/train/backend.js';
import { countParams, initialWeights, Network, probabilities, weightSpecs } from '../../src/train/network.js';
import { tinyVariant } from './train-helpers.js';

/** Every architectural branch: cell, merge mode, return sequences, dense or not, strides, softmax. */
const VARIANTS: Partial<VariantConfig>[] = [
  {},
  { rnn: 'gru' },
  { returnSequences: false },
  { poolStride: 3 },
  { rnnMerge: 'sum', denseUnits: 0 },
  { rnn: 'gru', rnnMerge: 'ave', convStride: 2, returnSequences: false },
  { outputActivation: 'softmax', tasks: 3, rnnMerge: 'mul' },
];

test('parameter count and weight layout equal the tfjs-layers model', () => {
  for (const overrides of VARIANTS) {
    const v = tinyVariant(overrides);
    const model = buildLayersModel(v);
    const inspection = inspectVariant(v);
    assert.ok(inspection.ok);
    assert.equal(countParams(v), model.countParams(), JSON.stringify(overrides));
    assert.equal(countParams(v), inspection.params, JSON.stringify(overrides));
    assert.deepEqual(
      weightSpecs(v).map((s) => s.shape),
      model.getWeights().map((w) => w.shape),
      JSON.stringify(overrides),
    );
    model.dispose();
  }
  // The published DanQ (counted by hand in presets.ts, checked by shapes.ts against Keras).
  assert.equal(countParams(resolveVariant('danq', {})), 46_926_479);
});

function batchOf(v: VariantConfig, n: number): Float32Array {
  // Only the inputs matter here: one motif fits every variant's seqLen, whatever its tasks.
  const split = syntheticSplit(resolveSynthOptions({ samples: n, seqLen: v.seqLen, seed: 3 }));
  const x = new Float32Array(n * v.seqLen * 4);
  split.readBatch(Int32Array.from({ length: n }, (_, i) => i), x, new Float32Array(n));
  // One ambiguous base (N = 0.25 each), as the data layer encodes it.
  x.fill(0.25, 4 * 7, 4 * 8);
  return x;
}

/**
 * For every variant: the fast network and the tfjs-layers model holding the same weights (with
 * non-zero biases, so every term of the gradient is exercised), and a batch of `n` inputs.
 */
function forEachVariant(n: number, check: (v: VariantConfig, x: Float32Array, network: Network, model: tf.Sequential, label: string) => void): void {
  for (const overrides of VARIANTS) {
    const v = tinyVariant(overrides);
    const weights = initialWeights(v, new Rng(1));
    const noise = new Rng(2);
    for (const w of weights) for (let i = 0; i < w.length; i++) w[i]! += noise.uniform(-0.1, 0.1);
    const network = new Network(v, weights);
    const model = buildLayersModel(v, { fastWeightInit: true });
    model.setWeights(weightSpecs(v).map((s, i) => tf.tensor(weights[i]!, s.shape)));
    check(v, batchOf(v, n), network, model, JSON.stringify(overrides));
    network.dispose();
    model.dispose();
  }
}

function maxRelativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / (scale || 1);
}

test('predictions equal the tfjs-layers model with the same weights (wasm)', async () => {
  await selectBackend('wasm');
  const n = 6;
  forEachVariant(n, (v, x, network, model, label) => {
    const fast = tf.tidy(() => probabilities(network.logits(x, n), v.outputActivation).dataSync());
    const stock = tf.tidy(() => (model.predict(tf.tensor3d(x, [n, v.seqLen, 4])) as tf.Tensor).dataSync());
    assert.ok(maxRelativeDifference(fast, stock) < 1e-5, `${label}: ${maxRelativeDifference(fast, stock)}`);
  });
});

test('gradients equal autodiff through the tfjs-layers model (cpu)', async () => {
  await selectBackend('cpu');
  const n = 4;
  forEachVariant(n, (v, x, network, model, label) => {
    const modelVariables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    // Any scalar of the outputs will do: a fixed random projection of the probabilities.
    const projection = tf.randomNormal([n, v.tasks], 0, 1, 'float32', 4);
    const fast = tf.variableGrads(() => tf.sum(tf.mul(probabilities(network.logits(x, n), v.outputActivation), projection)), network.variables);
    const stock = tf.variableGrads(
      () => tf.sum(tf.mul(model.apply(tf.tensor3d(x, [n, v.seqLen, 4])) as tf.Tensor, projection)),
      modelVariables,
    );
    assert.ok(Math.abs(fast.value.dataSync()[0]! - stock.value.dataSync()[0]!) < 1e-5);
    weightSpecs(v).forEach((spec, i) => {
      const difference = maxRelativeDifference(fast.grads[network.variables[i]!.name]!.dataSync(), stock.grads[modelVariables[i]!.name]!.dataSync());
      assert.ok(difference < 1e-4, `${label} ${spec.name}: relative difference ${difference}`);
    });
    tf.dispose([fast.value, stock.value, projection, ...Object.values(fast.grads), ...Object.values(stock.grads)]);
  });
});
