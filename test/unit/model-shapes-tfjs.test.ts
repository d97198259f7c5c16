// Cross-checks the static shapes and parameter counts against stock tfjs-layers, the library that
// trains the variants: small variants only, built (not trained) on the pure-JS CPU backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { VariantConfig } from '../../src/model/config.js';
import { resolveVariant } from '../../src/model/presets.js';
import { DNA_CHANNELS, inspectVariant } from '../../src/model/shapes.js';

function stockModel(v: VariantConfig): tf.LayersModel {
  const cell = { units: v.rnnUnits, returnSequences: v.returnSequences };
  return tf.sequential({
    layers: [
      tf.layers.conv1d({ inputShape: [v.seqLen, DNA_CHANNELS], filters: v.convFilters, kernelSize: v.convKernel, strides: v.convStride, activation: 'relu' }),
      tf.layers.maxPooling1d({ poolSize: v.poolSize, strides: v.poolStride }),
      tf.layers.dropout({ rate: v.convDropout }),
      tf.layers.bidirectional({ layer: v.rnn === 'lstm' ? tf.layers.lstm(cell) : tf.layers.gru(cell), mergeMode: v.rnnMerge }),
      tf.layers.dropout({ rate: v.rnnDropout }),
      ...(v.returnSequences ? [tf.layers.flatten()] : []),
      ...(v.denseUnits > 0 ? [tf.layers.dense({ units: v.denseUnits, activation: 'relu' })] : []),
      tf.layers.dense({ units: v.tasks, activation: v.outputActivation }),
    ],
  });
}

const variants: Partial<VariantConfig>[] = [
  {},
  { rnn: 'gru', rnnMerge: 'sum', returnSequences: false, denseUnits: 0, tasks: 3, outputActivation: 'softmax' },
  { seqLen: 101, convFilters: 16, convKernel: 7, convStride: 2, poolSize: 5, poolStride: 3, rnnUnits: 8, rnnMerge: 'mul' },
  { seqLen: 60, convFilters: 8, convKernel: 5, poolSize: 4, rnn: 'gru', rnnUnits: 6, rnnMerge: 'ave', denseUnits: 0 },
];

test('inspectVariant agrees with tfjs-layers on every layer shape and parameter count', async () => {
  await tf.setBackend('cpu');
  for (const overrides of variants) {
    const v = resolveVariant('danq-lite', overrides);
    const inspection = inspectVariant(v);
    assert.ok(inspection.ok, JSON.stringify(overrides));
    const model = stockModel(v);
    assert.deepEqual(
      inspection.layers.map((l) => [l.outputShape, l.params]),
      model.layers.map((l) => [l.outputShape, l.countParams()]),
      JSON.stringify(overrides),
    );
    assert.equal(inspection.params, model.countParams());
    model.dispose();
  }
});
