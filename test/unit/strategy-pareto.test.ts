import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TrialMetrics } from '../../src/strategy/objective.js';
import { hypervolume, hypervolumeSubset, rankTrials, lossesOf, paretoRanks, referencePoint, splitByRank, violationOf } from '../../src/strategy/pareto.js';

/*
 * Expected values computed with Optuna 5.1.0 (venv /work/venvs/multiobjective):
 *
 *   import numpy as np
 *   from optuna.study._multi_objective import _fast_non_domination_rank
 *   from optuna._hypervolume import compute_hypervolume
 *   from optuna._hypervolume.hssp import _solve_hssp
 *   from optuna.samplers._tpe.sampler import _get_reference_point
 *   L = np.array([[-0.9, 5e5], [-0.85, 1e5], [-0.9, 6e5], [-0.8, 1e5], [-0.95, 2e6], [-0.7, 5e4], [-0.85, 1e5], [-0.6, 3e6]])
 *   P = np.array([0, 0, 0, 2.0, 0, 0.5, 0, 0.5])
 *   _fast_non_domination_rank(L)             # [0, 0, 1, 1, 0, 0, 0, 2]
 *   _fast_non_domination_rank(L, penalty=P)  # [0, 0, 1, 3, 0, 2, 0, 2]
 *   A = np.array([[1.0, 4.0, 2.0], [2.0, 2.0, 3.0], [3.0, 1.0, 1.0], [1.5, 3.0, 2.5], [2.5, 2.5, 0.5]])
 *   ref = _get_reference_point(A); compute_hypervolume(A, ref)   # [3.3, 4.4, 3.3], 7.096
 *   B = np.array([[1.0, 5.0], [2.0, 3.0], [3.0, 2.5], [4.0, 1.0], [2.5, 2.9], [1.0, 5.0]])
 *   refB = _get_reference_point(B); compute_hypervolume(B, refB) # [4.4, 5.5], 7.85
 *   sorted(_solve_hssp(B, np.arange(6), k, refB))   # k=1: [1], k=2: [1, 3], k=3: [0, 1, 3]
 *   sorted(_solve_hssp(A, np.arange(5), k, ref))    # k=1: [4], k=2: [3, 4], k=3: [2, 3, 4]
 *   from optuna.samplers._tpe.sampler import _split_complete_trials_multi_objective
 *   from optuna.trial import create_trial
 *   study = optuna.create_study(directions=['maximize', 'minimize'])
 *   trials = [create_trial(values=[-l[0], l[1]]) for l in L.tolist()]   # numbered 0..7
 *   below, _ = _split_complete_trials_multi_objective(trials, study, n)  # n=3: [0, 1, 4]; 4: [0, 1, 4, 5]; 6: [0, 1, 3, 4, 5, 6]
 */
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
const A = [
  [1.0, 4.0, 2.0],
  [2.0, 2.0, 3.0],
  [3.0, 1.0, 1.0],
  [1.5, 3.0, 2.5],
  [2.5, 2.5, 0.5],
];
const B = [
  [1.0, 5.0],
  [2.0, 3.0],
  [3.0, 2.5],
  [4.0, 1.0],
  [2.5, 2.9],
  [1.0, 5.0],
];

const metrics = (overrides: Partial<TrialMetrics>): TrialMetrics => ({ valAuc: 0.9, valPrAuc: 0.5, valLoss: 0.3, params: 1000, inferenceMsPer1k: 20, trainSeconds: 60, ...overrides });

test('Pareto ranks match Optuna: the front (duplicates included) is rank 1', () => {
  assert.deepEqual(paretoRanks(L), [1, 1, 2, 2, 1, 1, 1, 3]);
});

test('infeasible trials rank after every feasible one, by violation, unmeasured last', () => {
  assert.deepEqual(paretoRanks(L, [0, 0, 0, 2, 0, 0.5, 0, 0.5]), [1, 1, 2, 4, 1, 3, 1, 3]);
  // Hand-computed: the infeasible trial with the best losses still ranks below a dominated feasible one.
  assert.deepEqual(
    paretoRanks(
      [
        [0, 0],
        [1, 1],
        [2, 2],
        [0, 0],
      ],
      [0, 0, 3, Infinity],
    ),
    [1, 2, 3, 4],
  );
});

test('losses negate maximised objectives; a missing value leaves the trial unranked', () => {
  const objectives = [
    { metric: 'val_auc', mode: 'max' },
    { metric: 'params', mode: 'min' },
  ] as const;
  assert.deepEqual(lossesOf(objectives, metrics({ valAuc: 0.8, params: 2000 })), [-0.8, 2000]);
  assert.equal(lossesOf(objectives, metrics({ valAuc: null })), undefined);
  assert.equal(lossesOf([{ metric: 'inference_ms_per_1k', mode: 'min' }], metrics({ inferenceMsPer1k: Number.NaN })), undefined);
});

test('violation sums the distance outside each bound; an unmeasured constrained metric is infinitely infeasible', () => {
  const constraints = [
    { metric: 'params', max: 1500 },
    { metric: 'val_auc', min: 0.85, max: 0.95 },
  ] as const;
  assert.equal(violationOf(constraints, metrics({})), 0);
  assert.equal(violationOf(constraints, metrics({ params: 2000, valAuc: 0.8 })), 500 + 0.05000000000000004);
  assert.equal(violationOf(constraints, metrics({ valAuc: null })), Infinity);
  assert.equal(violationOf([], metrics({ valAuc: null })), 0);
});

test('reference point and hypervolume match Optuna in 2 and 3 objectives', () => {
  const ref = referencePoint(A);
  assert.deepEqual(ref, [3.3000000000000003, 4.4, 3.3000000000000003]);
  assert.ok(Math.abs(hypervolume(A, ref) - 7.096) < 1e-12, `hv ${hypervolume(A, ref)}`);
  const refB = referencePoint(B);
  assert.deepEqual(refB, [4.4, 5.5]);
  assert.ok(Math.abs(hypervolume(B, refB) - 7.85) < 1e-12);
  assert.deepEqual(referencePoint([[0, -1]]), [1e-12, -0.9]);
});

test('hypervolume subset selection picks what Optuna picks', () => {
  const refB = referencePoint(B);
  assert.deepEqual(
    [1, 2, 3].map((k) => hypervolumeSubset(B, k, refB).sort((a, b) => a - b)),
    [[1], [1, 3], [0, 1, 3]],
  );
  const ref = referencePoint(A);
  assert.deepEqual(
    [1, 2, 3].map((k) => hypervolumeSubset(A, k, ref).sort((a, b) => a - b)),
    [[4], [3, 4], [2, 3, 4]],
  );
});

test('the split takes whole ranks while they fit, and cuts the next by hypervolume', () => {
  // Rank 1 of L is {0, 1, 4, 5, 6}: all five fit in 5; with 3, the front is cut by HSSP.
  assert.deepEqual([...splitByRank(L, 5)].sort(), [0, 1, 4, 5, 6]);
  assert.deepEqual([...splitByRank(L, 7)].sort(), [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual(
    [3, 4, 6].map((n) => [...splitByRank(L, n)].sort()),
    [
      [0, 1, 4],
      [0, 1, 4, 5],
      [0, 1, 3, 4, 5, 6],
    ],
  );
  assert.deepEqual([...splitByRank(L, 0)], []);
});

test('the leaderboard orders by rank, then the first objective, then the trial; unmeasured trials are left out', () => {
  const objectives = [
    { metric: 'val_auc', mode: 'max' },
    { metric: 'params', mode: 'min' },
  ] as const;
  const entries = [
    { trial: 1, metrics: metrics({ valAuc: 0.95, params: 10 }) },
    { trial: 2, metrics: metrics({ valAuc: 0.8, params: 1 }) },
    { trial: 3, metrics: metrics({ valAuc: 0.9, params: 5 }) },
    { trial: 4, metrics: metrics({ valAuc: 0.9, params: 5 }) },
    { trial: 5, metrics: metrics({ valAuc: 0.7, params: 8 }) },
    { trial: 6, metrics: metrics({ valAuc: null, params: 1 }) },
  ];
  const ranked = rankTrials(entries, objectives, [{ metric: 'params', max: 9 }]);
  // Trial 1 has the best AUC but breaks the constraint: it ranks below the dominated trial 5.
  assert.deepEqual(
    ranked.map((r) => [r.entry.trial, r.rank, r.feasible]),
    [
      [3, 1, true],
      [4, 1, true],
      [2, 1, true],
      [5, 2, true],
      [1, 3, false],
    ],
  );
  assert.deepEqual(
    rankTrials(entries, objectives, []).map((r) => [r.entry.trial, r.rank]),
    [
      [1, 1],
      [3, 1],
      [4, 1],
      [2, 1],
      [5, 2],
    ],
  );
});
