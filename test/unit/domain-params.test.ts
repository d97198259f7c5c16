import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatParamValue, trialLabel } from '../../src/domain/params.js';

test('a searched value reads the same everywhere: integers and strings as they are, fractions exact and short', () => {
  assert.deepEqual([0.003, 0.00125, 0.25, 0.5, 8, 'gru', true, 1e30, -0.004].map(formatParamValue), ['3e-3', '1.25e-3', '0.25', '0.5', '8', 'gru', 'true', '1e+30', '-4e-3']);
});

test('a trial label names the trial and its searched values in the given order, skipping the ones it lacks', () => {
  const params = { learningRate: 0.003, convFilters: 8 };
  assert.equal(trialLabel(3, params, ['convFilters', 'learningRate', 'rnn']), '#3 convFilters=8 learningRate=3e-3');
  assert.equal(trialLabel(3, params), '#3 learningRate=3e-3 convFilters=8');
  assert.equal(trialLabel(1, {}), '#1');
});
