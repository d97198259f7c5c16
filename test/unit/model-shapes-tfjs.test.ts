// Cross-checks the static shapes, parameter counts and layer names against the tfjs-layers model
// that exported variants are saved as (src/model/layers.ts): small variants only, built (not
// trained) on the pure-JS CPU backend.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { VariantConfig } from '../../src/model/config.js';
import { buildLayersModel } from '../../src/model/layers.js';
import { resolveVariant } from '../../src/model/presets.js';
import { inspectVariant } from '../../src/model/shapes.js';

const variants: Partial<VariantConfig>[] = [
  {},
  { rnn: 'gru', rnnMerge: 'sum', returnSequences: false, denseUnits: 0, tasks: 3, outputActivation: 'softmax' },
  { seqLen: 101, convFilters: 16, convKernel: 7, convStride: 2, poolSize: 5, poolStride: 3, rnnUnits: 8, rnnMerge: 'mul' },
  { seqLen: 60, convFilters: 8, convKernel: 5, poolSize: 4, rnn: 'gru', rnnUnits: 6, rnnMerge: 'ave', denseUnits: 0 },
];

test('inspectVariant agrees with tfjs-layers on every layer name, shape and parameter count', async () => {
  await tf.setBackend('cpu');
  for (const overrides of variants) {
    const v = resolveVariant('danq-lite', overrides);
    const inspection = inspectVariant(v);
    assert.ok(inspection.ok, JSON.stringify(overrides));
    const model = buildLayersModel(v, { fastWeightInit: true });
    assert.deepEqual(
      inspection.layers.map((l) => [l.name, l.outputShape, l.params]),
      model.layers.map((l) => [l.name, l.outputShape, l.countParams()]),
      JSON.stringify(overrides),
    );
    assert.equal(inspection.params, model.countParams());
    model.dispose();
  }
});
