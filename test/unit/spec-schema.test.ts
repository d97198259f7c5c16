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

test('several objectives: modes follow the metrics; constraints, warm start and enqueue parse', () => {
  const space = { convFilters: [32, 64], learningRate: { logUniform: [0.0001, 0.01] } };
  const spec = parseSpec(
    rawSpec({
      space,
      strategy: { type: 'tpe', trials: 10 },
      objectives: [{ metric: 'val_auc' }, { metric: 'params' }, { metric: 'inference_ms_per_1k', mode: 'min' }],
      constraints: [{ metric: 'params', max: 2000000 }],
      warmStart: { sweeps: ['sweep-a-1'] },
      enqueue: [{ convFilters: 32, learningRate: 0.001 }],
    }),
    's',
  );
  assert.deepEqual(spec.objectives, [
    { metric: 'val_auc', mode: 'max' },
    { metric: 'params', mode: 'min' },
    { metric: 'inference_ms_per_1k', mode: 'min' },
  ]);
  assert.deepEqual(spec.objective, { metric: 'val_auc', mode: 'max' });
  assert.deepEqual(spec.constraints, [{ metric: 'params', max: 2000000 }]);
  assert.deepEqual(spec.warmStart, { sweeps: ['sweep-a-1'] });
  assert.deepEqual(spec.enqueue, [{ convFilters: 32, learningRate: 0.001 }]);
  assert.equal(parseSpec(rawSpec(), 's').objectives, undefined);
});

test('bad objectives and constraints are reported by key', () => {
  assert.deepEqual(problemsOf(rawSpec({ objectives: [{ metric: 'val_auc' }, { metric: 'flops' }] })), [
    "objectives[1].metric: must be 'val_auc' or 'val_pr_auc' or 'val_loss' or 'params' or 'inference_ms_per_1k' or 'train_seconds', got \"flops\"",
  ]);
  assert.deepEqual(problemsOf(rawSpec({ objectives: [{ metric: 'params' }, { metric: 'val_auc' }, { metric: 'params' }] })), ['objectives[2].metric: params is listed twice (also objectives[0])']);
  assert.deepEqual(problemsOf(rawSpec({ objectives: [{ metric: 'params', mode: 'max' }, { metric: 'val_auc' }] })), ['objectives[0].mode: params is minimised: expected "min" (or leave mode out)']);
  assert.deepEqual(problemsOf(rawSpec({ objective: { metric: 'val_auc' }, objectives: [{ metric: 'params' }, { metric: 'val_auc' }] })), ['objectives: set "objective" or "objectives", not both']);
  assert.deepEqual(problemsOf(rawSpec({ objectives: [{ metric: 'val_auc' }] })), ['objectives: expected at least 2 objectives (use "objective" for one)']);
  assert.deepEqual(problemsOf(rawSpec({ constraints: [{ metric: 'size', max: 1 }, { metric: 'params' }, { metric: 'params', min: 3, max: 2 }] })), [
    "constraints[0].metric: must be 'val_auc' or 'val_pr_auc' or 'val_loss' or 'params' or 'inference_ms_per_1k' or 'train_seconds', got \"size\"",
    'constraints[1]: expected "min", "max" or both',
    'constraints[2]: expected min <= max, got 3 > 2',
  ]);
});

test('asha refuses several objectives and constraints, with the reason', () => {
  const asha = { space: { learningRate: { logUniform: [0.0001, 0.01] } }, strategy: { type: 'asha', trials: 9, minEpochs: 1, maxEpochs: 9 }, training: { batchSize: 64, seed: 1 } };
  assert.deepEqual(problemsOf(rawSpec({ ...asha, objectives: [{ metric: 'val_auc' }, { metric: 'params' }] })), [
    'objectives: asha promotes the best of each rung by one objective: use "objective" with asha, or strategy tpe or random for several objectives',
  ]);
  assert.deepEqual(problemsOf(rawSpec({ ...asha, constraints: [{ metric: 'params', max: 1000 }] })), [
    'constraints: asha promotes by the objective alone: use strategy tpe, random or grid with constraints',
  ]);
});

test('enqueued configurations must set every space key within its choices or range', () => {
  const tpe = { space: { convFilters: [32, 64], learningRate: { logUniform: [0.0001, 0.01] }, rnnUnits: { int: [8, 32] } }, strategy: { type: 'tpe', trials: 10 } };
  assert.deepEqual(
    problemsOf(
      rawSpec({
        ...tpe,
        enqueue: [
          { convFilters: 48, learningRate: 0.1, rnnUnits: 8.5, rnn: 'gru' },
          { convFilters: 32, rnnUnits: 9 },
        ],
      }),
    ),
    [
      'enqueue[0].rnn: not a space key: enqueue sets the searched fields only',
      'enqueue[0].convFilters: 48 is outside space.convFilters [32,64]',
      'enqueue[0].learningRate: 0.1 is outside space.learningRate {"logUniform":[0.0001,0.01]}',
      'enqueue[0].rnnUnits: 8.5 is outside space.rnnUnits {"int":[8,32]}',
      'enqueue[1]: missing learningRate: set every space key',
    ],
  );
  assert.deepEqual(problemsOf(rawSpec({ enqueue: [{ convFilters: 32, rnn: 'gru' }] })), ['enqueue: only with strategy random or tpe (grid runs every combination anyway)']);
});

test('a warm start needs strategy tpe', () => {
  assert.deepEqual(problemsOf(rawSpec({ strategy: { type: 'random', trials: 3 }, warmStart: { sweeps: ['sweep-a-1'] } })), [
    'warmStart: only with strategy tpe: earlier trials are observations for its model, which grid, random and asha do not have',
  ]);
  assert.deepEqual(problemsOf(rawSpec({ strategy: { type: 'tpe', trials: 3 }, warmStart: { sweeps: [] } })), ['warmStart.sweeps: expected at least one sweep id']);
});
