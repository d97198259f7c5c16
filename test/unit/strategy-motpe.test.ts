import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSpec } from '../../src/sweep-spec/load.js';
import { strategySetupOf } from '../../src/sweep-spec/plan.js';
import { sweepStrategy, type StrategyState } from '../../src/strategy/index.js';
import type { TrialMetrics } from '../../src/strategy/objective.js';
import { splitTrials, type TpeTrial } from '../../src/strategy/tpe-sampler.js';

const observed = (trial: number, extra: Partial<TpeTrial>): TpeTrial => ({ trial, params: { x: trial }, state: 'observed', level: 0, score: 0, ...extra });

test('constrained split: feasible trials fill "below" by score, then infeasible ones by violation; failed and running stay above', () => {
  const trials: TpeTrial[] = [
    observed(1, { score: 0.9, violation: 3 }),
    observed(2, { score: 0.5, violation: 0 }),
    observed(3, { score: 0.7, violation: 0 }),
    observed(4, { score: 0.95, violation: 1 }),
    { trial: 5, params: { x: 5 }, state: 'failed', level: 0, score: null },
    { trial: 6, params: { x: 6 }, state: 'running', level: 0, score: null },
    ...Array.from({ length: 25 }, (_, i) => observed(7 + i, { score: 0.1, violation: 10 + i })),
  ];
  // 30 finished: gamma(30) = 3 below: the two feasible, then the least violating infeasible (trial 4).
  const { below, above } = splitTrials(trials);
  assert.deepEqual(
    below.map((t) => t.trial),
    [2, 3, 4],
  );
  assert.equal(above.length, trials.length - 3);
  assert.ok(above.some((t) => t.trial === 5) && above.some((t) => t.trial === 6) && above.some((t) => t.trial === 1));
});

test('several objectives: "below" is the split of Optuna 5.1 (rank, then hypervolume subset), feasible first', () => {
  // The losses of strategy-pareto.test.ts's L, whose 3-trial split Optuna computes as trials [0, 1, 4] (here 1, 2, 5).
  const L = [
    [-0.9, 5e5],
    [-0.85, 1e5],
    [-0.9, 6e5],
    [-0.8, 1e5],
    [-0.95, 2e6],
    [-0.7, 5e4],
    [-0.85, 1e5],
    [-0.6, 3e6],
  ];
  const failed = Array.from({ length: 22 }, (_, i): TpeTrial => ({ trial: 20 + i, params: { x: 20 + i }, state: 'failed', level: 0, score: null }));
  // 30 finished: gamma(30) = 3.
  const trials = [...L.map((losses, i) => observed(i + 1, { losses, score: -losses[0]! })), ...failed];
  assert.deepEqual(
    splitTrials(trials).below.map((t) => t.trial),
    [1, 2, 5],
  );
  // Trial 5 (the best AUC) made infeasible: the feasible split goes first, and there is no room left for it.
  const constrained = trials.map((t) => (t.trial === 5 ? { ...t, violation: 2 } : t.losses ? { ...t, violation: 0 } : t));
  assert.ok(!splitTrials(constrained).below.some((t) => t.trial === 5));
});

/** AUC rises with `convFilters` up to 64, params grow with it: a trade-off with a front along `convFilters`. */
function metricsOf(params: Record<string, unknown>): TrialMetrics {
  const width = params.convFilters as number;
  const lr = params.learningRate as number;
  const valAuc = 0.5 + 0.4 * Math.min(1, width / 64) * Math.exp(-((Math.log10(lr) + 2.5) ** 2));
  return { valAuc, valPrAuc: valAuc / 2, valLoss: 1 - valAuc, params: width * 1000, inferenceMsPer1k: width / 10, trainSeconds: 10 };
}

function driveMultiObjective(seed: number, constraints?: unknown) {
  const spec = parseSpec(
    {
      name: 'motpe',
      dataset: { format: 'synthetic' },
      space: { convFilters: { int: [4, 128] }, learningRate: { logUniform: [1e-5, 1] } },
      strategy: { type: 'tpe', trials: 40, seed },
      training: { epochs: 1, batchSize: 64, seed: 1 },
      objectives: [{ metric: 'val_auc' }, { metric: 'params' }],
      ...(constraints !== undefined && { constraints }),
    },
    'spec.json',
  );
  let state: StrategyState = sweepStrategy.initial(strategySetupOf(spec));
  const started: Record<string, unknown>[] = [];
  for (;;) {
    const next = sweepStrategy.next(state);
    state = JSON.parse(JSON.stringify(next.state)) as StrategyState;
    if (next.decision.kind !== 'start') break;
    const { trial, params } = next.decision;
    started.push(params);
    const metrics = metricsOf(params);
    state = sweepStrategy.report(state, { trial, status: 'completed', epochsTrained: 1, objectiveByEpoch: [metrics.valAuc], metrics });
  }
  return { started, state };
}

test('several objectives: TPE records each trial as losses and runs the sweep to the end, deterministically', () => {
  const { started, state } = driveMultiObjective(5);
  assert.equal(started.length, 40);
  assert.ok(state.type === 'tpe');
  assert.deepEqual(state.sampler.trials[0]!.losses, [-metricsOf(started[0]!).valAuc!, metricsOf(started[0]!).params]);
  assert.deepEqual(driveMultiObjective(5).started, started);
});

test('with a constraint, model-driven trials break it less often than the random startup trials', () => {
  const infeasible = (ps: Record<string, unknown>[]) => ps.filter((p) => (p.convFilters as number) * 1000 > 32_000).length / ps.length;
  const shares = [1, 2, 3, 4, 5].map((seed) => {
    const { started } = driveMultiObjective(seed, [{ metric: 'params', max: 32_000 }]);
    return { startup: infeasible(started.slice(0, 10)), model: infeasible(started.slice(20)) };
  });
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const model = mean(shares.map((s) => s.model));
  const startup = mean(shares.map((s) => s.startup));
  assert.ok(model < startup / 2, `infeasible share: model ${model}, startup ${startup}`);
});

test('tpe with enqueue: the enqueued configurations start first, then the sampler goes on', () => {
  const spec = parseSpec(
    {
      name: 'enqueue',
      dataset: { format: 'synthetic' },
      space: { convFilters: { int: [4, 128] }, learningRate: { logUniform: [1e-5, 1] } },
      strategy: { type: 'tpe', trials: 4, seed: 1 },
      training: { epochs: 1, batchSize: 64, seed: 1 },
      enqueue: [
        { convFilters: 7, learningRate: 0.001 },
        { convFilters: 9, learningRate: 0.002 },
      ],
    },
    'spec.json',
  );
  let state: StrategyState = sweepStrategy.initial(strategySetupOf(spec));
  const started: unknown[] = [];
  for (;;) {
    const next = sweepStrategy.next(state);
    state = next.state;
    if (next.decision.kind !== 'start') break;
    started.push(next.decision.params);
    state = sweepStrategy.report(state, { trial: next.decision.trial, status: 'completed', epochsTrained: 1, objectiveByEpoch: [0.7] });
  }
  assert.equal(started.length, 4);
  assert.deepEqual(started.slice(0, 2), spec.enqueue);
  assert.ok(state.type === 'tpe' && state.sampler.trials.length === 4 && state.sampler.trials[0]!.state === 'observed');
});

test('tpe with a warm start: earlier trials are observations from the start and are never proposed again', () => {
  const raw = {
    name: 'warm',
    dataset: { format: 'synthetic' },
    space: { convFilters: [4, 8], rnn: ['lstm', 'gru'] },
    strategy: { type: 'tpe', trials: 2, startupTrials: 2, seed: 1 },
    training: { epochs: 1, batchSize: 64, seed: 1 },
  };
  const measured = [
    { convFilters: 4, rnn: 'lstm' },
    { convFilters: 8, rnn: 'lstm' },
  ];
  const setup = { ...strategySetupOf(parseSpec(raw, 'spec.json')), warmStart: measured.map((params, i) => ({ params, metrics: metricsOf({ convFilters: 32 + i, learningRate: 0.003 }) })) };
  let state: StrategyState = sweepStrategy.initial(setup);
  assert.ok(state.type === 'tpe');
  assert.deepEqual(
    state.sampler.trials.map((t) => [t.trial, t.state]),
    [
      [-1, 'observed'],
      [-2, 'observed'],
    ],
  );
  const started: unknown[] = [];
  for (;;) {
    const next = sweepStrategy.next(state);
    state = next.state;
    if (next.decision.kind !== 'start') break;
    started.push(next.decision.params);
    state = sweepStrategy.report(state, { trial: next.decision.trial, status: 'completed', epochsTrained: 1, objectiveByEpoch: [0.7] });
  }
  // The two configurations left in the space, each once.
  assert.deepEqual(started.map((p) => JSON.stringify(p)).sort(), [JSON.stringify({ convFilters: 4, rnn: 'gru' }), JSON.stringify({ convFilters: 8, rnn: 'gru' })].sort());
});
