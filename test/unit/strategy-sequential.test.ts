import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpec } from '../../src/sweep-spec/load.js';
import { planTrials, strategySetupOf } from '../../src/sweep-spec/plan.js';
import { sweepStrategy } from '../../src/strategy/index.js';
import { simulate } from './strategy-sim.js';

function spec(strategy: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return parseSpec(
    {
      name: 'sequential-test',
      dataset: { format: 'synthetic' },
      space: { convFilters: [16, 32, 64], rnn: ['lstm', 'gru'] },
      strategy,
      training: { epochs: 5, batchSize: 64, seed: 1 },
      ...extra,
    },
    'spec.json',
  );
}

for (const strategy of [{ type: 'grid' }, { type: 'random', trials: 7, seed: 2 }]) {
  test(`${strategy.type}: every planned trial starts once, in plan order, for training.epochs`, () => {
    const s = spec(strategy);
    const plan = planTrials(s);
    const result = simulate(s, plan, { concurrency: 2, objective: (trial, epoch) => 0.5 + trial / 100 + epoch / 1000, jsonRoundTrip: true });
    assert.deepEqual(
      result.decisions,
      plan.map((t) => ({ kind: 'start', trial: t.number, params: t.params, untilEpoch: 5 })),
    );
    assert.equal(result.totalEpochs, plan.length * 5);
  });
}

test('sequential: wait while trials run, done when all reported; failures end a trial like any other report', () => {
  const s = spec({ type: 'random', trials: 2 });
  const plan = planTrials(s);
  let state = sweepStrategy.initial(strategySetupOf(s));
  const next = () => {
    const step = sweepStrategy.next(state);
    state = step.state;
    return step.decision;
  };
  assert.deepEqual(next(), { kind: 'start', trial: 1, params: plan[0]!.params, untilEpoch: 5 });
  assert.deepEqual(next(), { kind: 'start', trial: 2, params: plan[1]!.params, untilEpoch: 5 });
  assert.deepEqual(next(), { kind: 'wait' });
  state = sweepStrategy.report(state, { trial: 2, status: 'failed', epochsTrained: 0, objectiveByEpoch: [] });
  assert.deepEqual(next(), { kind: 'wait' });
  const afterFirst = sweepStrategy.report(state, { trial: 1, status: 'completed', epochsTrained: 5, objectiveByEpoch: [0.6, 0.7, 0.8, 0.8, 0.9] });
  // A duplicate report changes nothing.
  assert.deepEqual(sweepStrategy.report(afterFirst, { trial: 1, status: 'completed', epochsTrained: 5, objectiveByEpoch: [] }), afterFirst);
  state = afterFirst;
  assert.deepEqual(next(), { kind: 'done' });
});

test('random with enqueue: the enqueued configurations run first, count towards the trials, and the draws after them are unchanged', () => {
  const enqueue = [
    { convFilters: 64, rnn: 'gru' },
    { convFilters: 16, rnn: 'gru' },
  ];
  const plain = spec({ type: 'random', trials: 5, seed: 2 });
  const withQueue = spec({ type: 'random', trials: 5, seed: 2 }, { enqueue });
  const plan = planTrials(withQueue);
  const result = simulate(withQueue, plan, { concurrency: 2, objective: () => 0.5, jsonRoundTrip: true });
  const started = result.decisions.map((d) => (d.kind === 'start' ? d.params : undefined));
  assert.equal(started.length, 5);
  assert.deepEqual(started.slice(0, 2), enqueue);
  assert.deepEqual(
    started.slice(2),
    planTrials(plain)
      .slice(0, 3)
      .map((t) => t.params),
  );
});
