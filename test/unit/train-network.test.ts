/**
 * The fast training path against the standard tfjs-layers model: same parameter count and
 * weight layout, same predictions (wasm), same gradients (pure-JS cpu backend: the stock conv1d
 * gradient kernel does not exist on wasm). The native path's twin checks: train-native.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildLayersModel } from '../../src/model/layers.js';
import { resolveVariant } from '../../src/model/presets.js';
import { inspectVariant } from '../../src/model/shapes.js';
import { selectBackend } from '../../src/train/backend.js';
import { countParams, Network, probabilities, weightSpecs } from '../../src/train/fast/network.js';
import { tinyVariant } from './train-helpers.js';
import { cases, maxRelativeDifference, networkGradients, stockGradients, stockPredictions, VARIANTS } from './train-network-checks.js';

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

test('predictions equal the tfjs-layers model with the same weights (wasm)', async () => {
  await selectBackend('wasm');
  for (const c of cases(6)) {
    const network = new Network(c.v, c.weights);
    const fast = tf.tidy(() => probabilities(network.logits(c.x, c.n), c.v.outputActivation).dataSync());
    network.dispose();
    const stock = stockPredictions(c);
    assert.ok(maxRelativeDifference(fast, stock) < 1e-5, `${c.label}: ${maxRelativeDifference(fast, stock)}`);
  }
});

test('gradients equal autodiff through the tfjs-layers model (cpu)', async () => {
  await selectBackend('cpu');
  for (const c of cases(4)) {
    const network = new Network(c.v, c.weights);
    const fast = networkGradients(network, c);
    network.dispose();
    const stock = stockGradients(c);
    assert.ok(Math.abs(fast.value - stock.value) < 1e-5);
    weightSpecs(c.v).forEach((spec, i) => {
      const difference = maxRelativeDifference(fast.grads[i]!, stock.grads[i]!);
      assert.ok(difference < 1e-5, `${c.label} ${spec.name}: relative difference ${difference}`);
    });
  }
});
