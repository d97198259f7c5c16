import { test } from 'node:test';
import assert from 'node:assert/strict';
import { presets } from '../../src/model/presets.js';
import { parseSpec } from '../../src/sweep-spec/load.js';
import { planTrials, sweepInputOf } from '../../src/sweep-spec/plan.js';
import { validateSweep } from '../../src/sweep-spec/validate.js';

function spec(overrides: Record<string, unknown>) {
  return parseSpec(
    {
      name: 'plan-test',
      dataset: { format: 'synthetic' },
      training: { epochs: 5, batchSize: 32, seed: 11 },
      strategy: { type: 'grid' },
      ...overrides,
    },
    'spec.json',
  );
}

test('grid: the cartesian product in spec key order, last key fastest, numbered from 1', () => {
  const plan = planTrials(spec({ space: { convFilters: [32, 64], rnn: ['lstm', 'gru'], poolSize: [5, 10, 20] } }));
  assert.equal(plan.length, 12);
  assert.deepEqual(
    plan.map((t) => t.number),
    Array.from({ length: 12 }, (_, i) => i + 1),
  );
  assert.deepEqual(
    plan.slice(0, 4).map((t) => t.params),
    [
      { convFilters: 32, rnn: 'lstm', poolSize: 5 },
      { convFilters: 32, rnn: 'lstm', poolSize: 10 },
      { convFilters: 32, rnn: 'lstm', poolSize: 20 },
      { convFilters: 32, rnn: 'gru', poolSize: 5 },
    ],
  );
  assert.deepEqual(plan[11]!.params, { convFilters: 64, rnn: 'gru', poolSize: 20 });
  assert.equal(new Set(plan.map((t) => JSON.stringify(t.params))).size, 12);
});

test('a variant layers the preset, then model, then training, then the trial params', () => {
  const [trial] = planTrials(spec({ model: { preset: 'danq', seqLen: 500, rnn: 'gru' }, space: { poolSize: [7] } }));
  assert.deepEqual(trial!.variant, {
    ...presets.danq,
    seqLen: 500,
    rnn: 'gru',
    poolSize: 7,
    poolStride: 7,
    epochs: 5,
    batchSize: 32,
    seed: 11,
  });
  assert.deepEqual(trial!.params, { poolSize: 7 });
});

test('an empty space plans one trial: the model as given', () => {
  const plan = planTrials(spec({}));
  assert.equal(plan.length, 1);
  assert.deepEqual(plan[0]!.params, {});
  assert.equal(plan[0]!.variant.convFilters, presets['danq-lite'].convFilters);
});

const sampledSpace = {
  learningRate: { logUniform: [0.0001, 0.1] },
  convDropout: { uniform: [0.1, 0.5] },
  rnnUnits: { int: [8, 10] },
  rnn: ['lstm', 'gru'],
};

test('random: deterministic by seed; another seed gives another plan; a prefix does not depend on the count', () => {
  const random = (seed: number, trials = 50) => planTrials(spec({ space: sampledSpace, strategy: { type: 'random', trials, seed } }));
  assert.deepEqual(random(3), random(3));
  assert.notDeepEqual(
    random(3).map((t) => t.params),
    random(4).map((t) => t.params),
  );
  assert.deepEqual(random(3, 10), random(3).slice(0, 10));
  // Without its own seed, the strategy draws from training.seed.
  assert.deepEqual(planTrials(spec({ space: sampledSpace, strategy: { type: 'random', trials: 50 } })), random(11));
});

test('random: draws stay in bounds, ints are inclusive, logUniform is uniform in log space, floats are rounded', () => {
  const plan = planTrials(spec({ space: sampledSpace, strategy: { type: 'random', trials: 2000, seed: 5 } }));
  const values = (key: string) => plan.map((t) => t.params[key] as number);
  const lr = values('learningRate');
  assert.ok(lr.every((x) => x >= 0.0001 && x <= 0.1));
  // Log-uniform over 3 decades: about a third of the draws in each decade, half below the geometric mean.
  const belowMean = lr.filter((x) => x < Math.sqrt(0.0001 * 0.1)).length / lr.length;
  assert.ok(belowMean > 0.45 && belowMean < 0.55, `fraction below the geometric mean ${belowMean}`);
  const lowestDecade = lr.filter((x) => x < 0.001).length / lr.length;
  assert.ok(lowestDecade > 0.28 && lowestDecade < 0.39, `fraction in the lowest decade ${lowestDecade}`);
  assert.ok(values('convDropout').every((x) => x >= 0.1 && x <= 0.5));
  assert.deepEqual(new Set(values('rnnUnits')), new Set([8, 9, 10]));
  assert.deepEqual(new Set(plan.map((t) => t.params.rnn)), new Set(['lstm', 'gru']));
  for (const x of [...lr, ...values('convDropout')]) assert.equal(x, Number(x.toPrecision(4)), `${x} has more than 4 significant digits`);
});

test('asha plans like random and trains each variant up to maxEpochs', () => {
  const asha = planTrials(spec({ space: sampledSpace, strategy: { type: 'asha', trials: 20, minEpochs: 1, maxEpochs: 9, seed: 2 }, training: { batchSize: 32, seed: 11 } }));
  const random = planTrials(spec({ space: sampledSpace, strategy: { type: 'random', trials: 20, seed: 2 } }));
  assert.deepEqual(
    asha.map((t) => t.params),
    random.map((t) => t.params),
  );
  assert.ok(asha.every((t) => t.variant.epochs === 9));
});

test('validateSweep: a bad choice is traced to its index in space', () => {
  const { trials, problems } = validateSweep(spec({ model: { seqLen: 50, convKernel: 21 }, space: { poolSize: [5, 10, 40], rnn: ['lstm', 'gru'] } }));
  assert.equal(trials.length, 6);
  assert.deepEqual(problems, ['space.poolSize[2]: poolSize 40 exceeds the conv output length 30 (seqLen 50 - convKernel 21 + 1): pooling would leave no steps for the RNN']);
});

test('validateSweep: a bad fixed value is reported once at its model path', () => {
  const { problems } = validateSweep(spec({ model: { seqLen: 50, convKernel: 21, poolSize: 40 }, space: { rnn: ['lstm', 'gru'], convFilters: [8, 16] } }));
  assert.deepEqual(problems, ['model.poolSize: poolSize 40 exceeds the conv output length 30 (seqLen 50 - convKernel 21 + 1): pooling would leave no steps for the RNN']);
});

test('validateSweep: a sampled value names the range and the value drawn', () => {
  const { trials, problems } = validateSweep(spec({ model: { seqLen: 50, convKernel: 21 }, space: { poolSize: { int: [20, 40] } }, strategy: { type: 'random', trials: 30, seed: 1 } }));
  const bad = trials.filter((t) => (t.params.poolSize as number) > 30).map((t) => t.params.poolSize);
  assert.ok(bad.length > 0);
  const expected = [...new Set(bad)].map(
    (p) => `space.poolSize (sampled ${p}): poolSize ${p} exceeds the conv output length 30 (seqLen 50 - convKernel 21 + 1): pooling would leave no steps for the RNN`,
  );
  assert.deepEqual(problems, expected);
});

test('validateSweep: a preset value is named as such; a valid sweep has no problems', () => {
  assert.deepEqual(validateSweep(spec({ model: { seqLen: 20 } })).problems, [
    'model.poolSize (from preset danq-lite): poolSize 10 exceeds the conv output length 2 (seqLen 20 - convKernel 19 + 1): pooling would leave no steps for the RNN',
  ]);
  assert.deepEqual(validateSweep(spec({ space: { convFilters: [16, 32], poolSize: [5, 10] } })).problems, []);
});

test('training.compile and training.xla reach the sweep input only when not the default, so older sweeps keep the same input', () => {
  const run = { sweepId: 's', baseDir: '.', datasetFingerprint: 'f', seqLen: 200, trainQueue: 'q', totalTrials: 1 };
  const defaults = sweepInputOf(spec({}), run).training;
  assert.equal('compile' in defaults, false);
  assert.equal('xla' in defaults, false);
  const xla = sweepInputOf(spec({ training: { epochs: 5, batchSize: 32, seed: 11, xla: true } }), run).training;
  assert.equal(xla.xla, true);
  const eager = sweepInputOf(spec({ training: { epochs: 5, batchSize: 32, seed: 11, compile: false } }), run).training;
  assert.equal(eager.compile, false);
  assert.equal('xla' in eager, false);
  assert.throws(() => spec({ training: { epochs: 5, batchSize: 32, seed: 11, xla: 'yes' } }), /xla[\s\S]*true or false/);
});
