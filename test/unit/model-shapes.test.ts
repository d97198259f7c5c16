import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { VariantConfig } from '../../src/model/config.js';
import { resolveVariant } from '../../src/model/presets.js';
import { inspectVariant, type Problem } from '../../src/model/shapes.js';

function inspectOk(v: VariantConfig) {
  const result = inspectVariant(v);
  assert.ok(result.ok, `expected a valid variant, got ${JSON.stringify(result)}`);
  return result;
}

function problemsOf(overrides: Partial<VariantConfig>): Problem[] {
  const result = inspectVariant(resolveVariant('danq-lite', overrides));
  assert.equal(result.ok, false, `expected problems for ${JSON.stringify(overrides)}`);
  return result.ok ? [] : result.problems;
}

test('danq has exactly the parameter count of the original Keras DanQ', () => {
  // By hand, Keras 'valid' padding and parameter formulas:
  const convLength = 1000 - 26 + 1; // 975
  const steps = Math.floor((convLength - 13) / 13) + 1; // 75
  const conv = 26 * 4 * 320 + 320; // kernel width x 4 channels x filters + bias
  const lstmPerDirection = 4 * (320 * (320 + 320) + 320); // 4 gates x (units x (input + units) + bias)
  const biLstm = 2 * lstmPerDirection; // two directions
  const dense = steps * 640 * 925 + 925; // flattened (75 steps x 640 concat features) -> 925
  const output = 925 * 919 + 919;
  const byHand = conv + biLstm + dense + output;
  // Checked against Keras 3.15 (tensorflow-cpu 2.21): Sequential of Conv1D(320, 26), MaxPooling1D(13, 13),
  // Dropout, Bidirectional(LSTM(320, return_sequences=True)), Dropout, Flatten, Dense(925), Dense(919)
  // on input (1000, 4): model.count_params() = 46,926,479. Keras 0.x/1.x LSTM, which DanQ used, has
  // the same per-gate input, recurrent and bias weights.
  assert.equal(byHand, 46_926_479);

  const danq = inspectOk(resolveVariant('danq', {}));
  assert.equal(danq.params, byHand);
  assert.deepEqual(
    danq.layers.map((l) => [l.name, l.type, l.outputShape, l.params]),
    [
      ['conv1d', 'Conv1D', [null, 975, 320], conv],
      ['max_pooling1d', 'MaxPooling1D', [null, 75, 320], 0],
      ['conv_dropout', 'Dropout', [null, 75, 320], 0],
      // The pooled (batch, steps, filters) goes straight into the RNN; concat doubles the features.
      ['bidirectional', 'Bidirectional(LSTM)', [null, 75, 640], biLstm],
      ['rnn_dropout', 'Dropout', [null, 75, 640], 0],
      ['flatten', 'Flatten', [null, 48000], 0],
      ['dense', 'Dense', [null, 925], dense],
      ['output', 'Dense', [null, 919], output],
    ],
  );
});

test('danq-lite shapes and parameters (Keras count_params: 103,617)', () => {
  const lite = inspectOk(resolveVariant('danq-lite', {}));
  assert.equal(lite.params, 103_617);
  assert.deepEqual(
    lite.layers.map((l) => l.outputShape),
    [
      [null, 182, 64],
      [null, 18, 64],
      [null, 18, 64],
      [null, 18, 64],
      [null, 18, 64],
      [null, 1152],
      [null, 64],
      [null, 1],
    ],
  );
});

test('GRU, sum merge, last step only, conv stride, no hidden dense (Keras count_params: 1,691)', () => {
  // Keras reference: GRU(reset_after=False), the only GRU form tfjs-layers has: 3 gates, one bias each.
  const v = resolveVariant('danq-lite', {
    seqLen: 101,
    tasks: 3,
    convFilters: 16,
    convKernel: 7,
    convStride: 2,
    poolSize: 5,
    rnn: 'gru',
    rnnUnits: 8,
    rnnMerge: 'sum',
    returnSequences: false,
    denseUnits: 0,
  });
  const result = inspectOk(v);
  assert.equal(result.params, 1691);
  assert.deepEqual(
    result.layers.map((l) => [l.type, l.outputShape]),
    [
      ['Conv1D', [null, 48, 16]], // floor((101 - 7) / 2) + 1
      ['MaxPooling1D', [null, 9, 16]],
      ['Dropout', [null, 9, 16]],
      ['Bidirectional(GRU)', [null, 8]], // last step only; sum keeps the units
      ['Dropout', [null, 8]],
      ['Dense', [null, 3]],
    ],
  );
});

test('a pool stride other than the pool size, and edge cases that just fit', () => {
  const overlapping = inspectOk(resolveVariant('danq-lite', { poolSize: 10, poolStride: 4 }));
  assert.deepEqual(overlapping.layers[1]!.outputShape, [null, 44, 64]); // floor((182 - 10) / 4) + 1
  const oneWindow = inspectOk(resolveVariant('danq-lite', { seqLen: 19, poolSize: 1 }));
  assert.deepEqual(oneWindow.layers[1]!.outputShape, [null, 1, 64]);
  const poolAll = inspectOk(resolveVariant('danq-lite', { poolSize: 182 }));
  assert.deepEqual(poolAll.layers[1]!.outputShape, [null, 1, 64]);
});

test('every shape-invalid or out-of-range variant is rejected with a message naming the parameter', () => {
  const table: [Partial<VariantConfig>, keyof VariantConfig, string][] = [
    [{ seqLen: 50, convKernel: 21, poolSize: 40 }, 'poolSize', 'poolSize 40 exceeds the conv output length 30 (seqLen 50 - convKernel 21 + 1): pooling would leave no steps for the RNN'],
    [
      { seqLen: 100, convKernel: 10, convStride: 3, poolSize: 40 },
      'poolSize',
      'poolSize 40 exceeds the conv output length 31 (floor((seqLen 100 - convKernel 10) / convStride 3) + 1): pooling would leave no steps for the RNN',
    ],
    [{ poolSize: 183 }, 'poolSize', 'poolSize 183 exceeds the conv output length 182 (seqLen 200 - convKernel 19 + 1): pooling would leave no steps for the RNN'],
    [{ convKernel: 250 }, 'convKernel', "convKernel 250 exceeds seqLen 200: a 'valid' convolution needs at least one full window"],
    [{ outputActivation: 'softmax', tasks: 1 }, 'outputActivation', 'outputActivation softmax needs tasks >= 2 (one output per class), got tasks 1: use sigmoid for a single binary task'],
    [{ seqLen: 0 }, 'seqLen', 'seqLen must be a positive integer, got 0'],
    [{ seqLen: NaN }, 'seqLen', 'seqLen must be a positive integer, got NaN'],
    [{ seqLen: '200' as unknown as number }, 'seqLen', 'seqLen must be a positive integer, got "200"'],
    [{ tasks: 0 }, 'tasks', 'tasks must be a positive integer, got 0'],
    [{ convFilters: 2.5 }, 'convFilters', 'convFilters must be a positive integer, got 2.5'],
    [{ convKernel: -3 }, 'convKernel', 'convKernel must be a positive integer, got -3'],
    [{ convStride: 1.5 }, 'convStride', 'convStride must be a positive integer, got 1.5'],
    [{ poolSize: 0, poolStride: 1 }, 'poolSize', 'poolSize must be a positive integer, got 0'],
    [{ poolStride: 0 }, 'poolStride', 'poolStride must be a positive integer, got 0'],
    [{ convDropout: 1 }, 'convDropout', 'convDropout must be a number in [0, 1), got 1'],
    [{ rnnDropout: -0.1 }, 'rnnDropout', 'rnnDropout must be a number in [0, 1), got -0.1'],
    [{ rnn: 'LSTM' as 'lstm' }, 'rnn', `rnn must be 'lstm' or 'gru', got "LSTM"`],
    [{ rnnUnits: 12.5 }, 'rnnUnits', 'rnnUnits must be a positive integer, got 12.5'],
    [{ rnnMerge: 'max' as 'sum' }, 'rnnMerge', `rnnMerge must be 'concat' or 'sum' or 'mul' or 'ave', got "max"`],
    [{ returnSequences: 'yes' as unknown as boolean }, 'returnSequences', 'returnSequences must be true or false, got "yes"'],
    [{ denseUnits: -1 }, 'denseUnits', 'denseUnits must be a non-negative integer, got -1'],
    [{ outputActivation: 'relu' as 'sigmoid' }, 'outputActivation', `outputActivation must be 'sigmoid' or 'softmax', got "relu"`],
    [{ learningRate: 0 }, 'learningRate', 'learningRate must be a positive number, got 0'],
    [{ learningRate: Infinity }, 'learningRate', 'learningRate must be a positive number, got Infinity'],
    [{ optimizer: 'sgd' as 'adam' }, 'optimizer', `optimizer must be 'adam' or 'rmsprop', got "sgd"`],
    [{ batchSize: 0 }, 'batchSize', 'batchSize must be a positive integer, got 0'],
    [{ epochs: 2.5 }, 'epochs', 'epochs must be a positive integer, got 2.5'],
    [{ seed: -1 }, 'seed', 'seed must be a non-negative integer, got -1'],
  ];
  for (const [overrides, param, message] of table) {
    assert.deepEqual(problemsOf(overrides), [{ param, message }], JSON.stringify(overrides));
  }
});

test('every problem is reported at once, without knock-on errors from fields already rejected', () => {
  const problems = problemsOf({ seqLen: 50, convKernel: 21, poolSize: 40, outputActivation: 'softmax', convFilters: 0, rnnDropout: 1 });
  assert.deepEqual(
    problems.map((p) => p.param),
    ['convFilters', 'rnnDropout', 'poolSize', 'outputActivation'],
  );
  // An invalid kernel width skips the shape checks that read it.
  assert.deepEqual(
    problemsOf({ convKernel: 0, poolSize: 500 }).map((p) => p.param),
    ['convKernel'],
  );
});
