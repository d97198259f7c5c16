import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UserError } from '../../src/errors.js';
import { parseSpec } from '../../src/sweep-spec/load.js';

/** A valid grid spec; tests override parts of it. */
function rawSpec(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'test-sweep',
    dataset: { format: 'synthetic', samples: 500 },
    model: { preset: 'danq-lite', seqLen: 200 },
    space: { convFilters: [32, 64], rnn: ['lstm', 'gru'] },
    strategy: { type: 'grid' },
    training: { epochs: 4, batchSize: 64, seed: 1 },
    ...overrides,
  };
}

/** The problems parseSpec reports for a spec, or [] when it is valid. */
function problemsOf(raw: unknown): readonly string[] {
  try {
    parseSpec(raw, 'spec.json');
    return [];
  } catch (err) {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    assert.match(err.message, /^spec\.json: invalid sweep spec\n/);
    return err.problems;
  }
}

test('a valid spec parses with its defaults filled in', () => {
  const spec = parseSpec(rawSpec({ $schema: '../schema/sweep-spec.schema.json' }), 'spec.json');
  assert.equal(spec.maxConcurrentTrials, 2);
  assert.deepEqual(spec.objective, { metric: 'val_auc', mode: 'max' });
  assert.equal(spec.training.backend, 'auto');
  assert.equal(spec.training.epochs, 4);
});

test('objective mode follows the metric, and a contradicting mode is an error', () => {
  assert.equal(parseSpec(rawSpec({ objective: { metric: 'val_loss' } }), 's').objective.mode, 'min');
  assert.equal(parseSpec(rawSpec({ objective: { metric: 'val_pr_auc' } }), 's').objective.mode, 'max');
  assert.deepEqual(problemsOf(rawSpec({ objective: { metric: 'val_loss', mode: 'max' } })), ['objective.mode: val_loss is minimised: expected "min" (or leave mode out)']);
});

test('early stopping watches val_loss unless told otherwise', () => {
  const spec = parseSpec(rawSpec({ training: { epochs: 4, batchSize: 64, seed: 1, earlyStopping: { patience: 3 } } }), 's');
  assert.deepEqual(spec.training.earlyStopping, { patience: 3, metric: 'val_loss' });
});

test('asha: training.epochs defaults to maxEpochs and must equal it when given; reductionFactor defaults to 3', () => {
  const asha = { type: 'asha', trials: 9, minEpochs: 1, maxEpochs: 9 };
  const space = { learningRate: { logUniform: [0.0001, 0.01] } };
  const spec = parseSpec(rawSpec({ space, strategy: asha, training: { batchSize: 64, seed: 1 } }), 's');
  assert.equal(spec.training.epochs, 9);
  assert.ok(spec.strategy.type === 'asha' && spec.strategy.reductionFactor === 3);
  assert.deepEqual(problemsOf(rawSpec({ space, strategy: asha, training: { epochs: 4, batchSize: 64, seed: 1 } })), ['training.epochs: must equal strategy.maxEpochs 9 for asha, or be left out']);
  assert.deepEqual(problemsOf(rawSpec({ space, strategy: { ...asha, minEpochs: 10 }, training: { batchSize: 64, seed: 1 } })), ['strategy.minEpochs: expected minEpochs <= maxEpochs, got 10 > 9']);
});

test('every problem is reported at once, each with its JSON path', () => {
  const problems = problemsOf(
    rawSpec({
      name: 'my sweep',
      model: { preset: 'danq-lite', poolSize: 5, epochs: 3, Seqlen: 100 },
      space: {
        learningRate: { logUniform: [0, 0.01] },
        poolSize: [3, 5],
        rnn: ['lstm', 'gur'],
        convDropout: [0.1, 1.5],
        poolsize: [2],
      },
      strategy: { type: 'random', trials: 0 },
      training: { batchSize: 64, seed: -1 },
      extra: true,
    }),
  );
  const expected = [
    `name: expected 1 to 64 letters, digits, '-' or '_', starting with a letter or digit, got "my sweep"`,
    'model.Seqlen: unknown field (did you mean seqLen?)',
    'space.learningRate.logUniform[0]: expected a number > 0',
    'strategy.trials: must be a positive integer, got 0',
    'training.seed: must be a non-negative integer, got -1',
    'extra: unknown field',
    'model.epochs: set training.epochs instead',
    'space.poolSize: poolSize is also fixed in model.poolSize: set it in one place',
    "space.rnn[1]: rnn must be 'lstm' or 'gru', got \"gur\"",
    'space.convDropout[1]: convDropout must be a number in [0, 1), got 1.5',
    'space.poolsize: unknown variant field (did you mean poolSize?)',
    'training.epochs: required',
  ];
  assert.deepEqual([...problems].sort(), [...expected].sort());
});

test('grid needs arrays: a range is an error naming the key', () => {
  assert.deepEqual(problemsOf(rawSpec({ space: { rnn: ['lstm'], learningRate: { logUniform: [0.0001, 0.01] } } })), [
    'space.learningRate: grid search needs an array of choices; ranges need strategy random, asha or tpe',
  ]);
});

test('ranges: shape, order, numeric fields, integer fields and field bounds', () => {
  const random = { type: 'random', trials: 4 };
  const problems = (space: Record<string, unknown>) => problemsOf(rawSpec({ space, strategy: random }));
  assert.deepEqual(problems({ learningRate: { uniform: [0.1] } }), ['space.learningRate.uniform: expected [low, high]']);
  assert.deepEqual(problems({ learningRate: { uniform: [0.1, 0.01] } }), ['space.learningRate.uniform: expected low < high, got [0.1,0.01]']);
  assert.deepEqual(problems({ convKernel: { int: [5, 7.5] } }), ['space.convKernel.int[1]: expected an integer']);
  assert.deepEqual(problems({ rnn: { uniform: [0, 1] } }), ['space.rnn: rnn is not numeric: use an array of choices']);
  assert.deepEqual(problems({ convFilters: { uniform: [16, 64] } }), ['space.convFilters: convFilters takes integers: use {"int": [low, high]} or an array of choices']);
  assert.deepEqual(problems({ convDropout: { uniform: [0.1, 1.5] } }), ['space.convDropout.uniform[1]: convDropout must be a number in [0, 1), got 1.5']);
  assert.deepEqual(problems({ rnnUnits: { logUniform: [8, 64] } }), ['space.rnnUnits: rnnUnits takes integers: use {"int": [low, high]} or an array of choices']);
  assert.deepEqual(problems({ rnn: [] }), ['space.rnn: expected at least one choice']);
  assert.deepEqual(problems({ rnn: { between: [1, 2] } }), ['space.rnn: expected an array of choices, {"uniform": [low, high]}, {"logUniform": [low, high]} or {"int": [low, high]}']);
  assert.deepEqual(problems({ rnn: [['lstm']] }), ['space.rnn[0]: expected a number, string or boolean']);
});

test('training owns epochs and seed; batchSize is fixed in training or searched in space, not both', () => {
  assert.deepEqual(problemsOf(rawSpec({ space: { epochs: [2, 4], seed: [1, 2] } })), [
    'space.epochs: epochs is not searchable: set training.epochs',
    'space.seed: seed is not searchable: set training.seed',
  ]);
  assert.deepEqual(problemsOf(rawSpec({ space: { batchSize: [32, 64] } })), ['space.batchSize: batchSize is also fixed in training.batchSize: set it in one place']);
  assert.deepEqual(problemsOf(rawSpec({ training: { epochs: 4, seed: 1 } })), ['training.batchSize: required (or search it in space.batchSize)']);
  const searched = parseSpec(rawSpec({ space: { batchSize: [32, 64] }, training: { epochs: 4, seed: 1 } }), 's');
  assert.equal(searched.training.batchSize, undefined);
});

test('missing required fields read "required"; a non-object spec is rejected', () => {
  const { name: _name, strategy: _strategy, ...rest } = rawSpec();
  const problems = problemsOf(rest);
  assert.ok(problems.includes('name: required'), problems.join('\n'));
  assert.ok(
    problems.some((p) => p.startsWith('strategy: ')),
    problems.join('\n'),
  );
  assert.deepEqual(problemsOf([]), ['(root): Invalid input: expected object, received array']);
});

test('a grid too large to plan is rejected before planning', () => {
  const choices = Array.from({ length: 20 }, (_, i) => i + 1);
  const problems = problemsOf(rawSpec({ space: { convFilters: choices, rnnUnits: choices, denseUnits: choices, convKernel: choices } }));
  assert.deepEqual(problems, ['space: the grid has 160000 combinations, more than the 100000 a sweep may plan']);
});

test('the dataset is checked by the data layer schema, under its own path', () => {
  const problems = problemsOf(rawSpec({ dataset: { format: 'tsv', train: 'train.tsv' } }));
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /^dataset\.valid: /);
});
