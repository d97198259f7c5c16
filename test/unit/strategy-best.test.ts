import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pickBest } from '../../src/strategy/best.js';
import { objectiveOf } from '../../src/strategy/objective.js';

test('the best trial has the highest validation AUC', () => {
  const candidates = [
    { trial: 1, valAuc: 0.91, paramCount: 100 },
    { trial: 2, valAuc: 0.94, paramCount: 900 },
    { trial: 3, valAuc: 0.93, paramCount: 10 },
  ];
  assert.equal(pickBest(candidates)?.trial, 2);
  assert.equal(pickBest([...candidates].reverse())?.trial, 2);
});

test('ties go to fewer parameters, then to the earlier trial, in any input order', () => {
  const candidates = [
    { trial: 4, valAuc: 0.9, paramCount: 500 },
    { trial: 3, valAuc: 0.9, paramCount: 200 },
    { trial: 2, valAuc: 0.9, paramCount: 200 },
    { trial: 5, valAuc: 0.8, paramCount: 1 },
  ];
  for (const order of [candidates, [...candidates].reverse(), [candidates[2]!, candidates[0]!, candidates[3]!, candidates[1]!]]) {
    assert.equal(pickBest(order)?.trial, 2);
  }
});

test('trials without a finite AUC are never best; no candidates, no best', () => {
  assert.equal(
    pickBest([
      { trial: 1, valAuc: Number.NaN, paramCount: 1 },
      { trial: 2, valAuc: 0.6, paramCount: 9 },
    ])?.trial,
    2,
  );
  assert.equal(pickBest([{ trial: 1, valAuc: Number.NaN, paramCount: 1 }]), undefined);
  assert.equal(
    pickBest([
      { trial: 1, valAuc: null, paramCount: 1 },
      { trial: 2, valAuc: 0.6, paramCount: 9 },
    ])?.trial,
    2,
    'null is how Temporal carries NaN',
  );
  const none: Parameters<typeof pickBest>[0] = [];
  assert.equal(pickBest(none), undefined);
});

test('pickBest returns the candidate object itself, extra fields included', () => {
  const best = { trial: 7, valAuc: 0.99, paramCount: 3, trialId: 'sweep-x-trial-7' };
  assert.equal(pickBest([{ trial: 1, valAuc: 0.5, paramCount: 3, trialId: 'a' }, best]), best);
});

test('objectiveOf reads the metric the spec optimises from an epoch', () => {
  const epoch = { epoch: 3, trainLoss: 0.5, valLoss: 0.4, valAuc: 0.9, valPrAuc: 0.6, seconds: 1, samplesPerSec: 100 };
  assert.equal(objectiveOf('val_auc', epoch), 0.9);
  assert.equal(objectiveOf('val_pr_auc', epoch), 0.6);
  assert.equal(objectiveOf('val_loss', epoch), 0.4);
});
