import { test } from 'node:test';
import assert from 'node:assert/strict';
import { carryOfFinished, trialsToRetry } from '../../src/cli/commands/retry.js';
import { parseSpec } from '../../src/sweep-spec/load.js';
import { strategySetupOf } from '../../src/sweep-spec/plan.js';
import type { TrialRow } from '../../src/db/types.js';

const setup = strategySetupOf(
  parseSpec(
    {
      name: 'retry-plan',
      dataset: { format: 'synthetic', samples: 100, seed: 1 },
      model: { preset: 'danq-lite', seqLen: 60 },
      space: { learningRate: { logUniform: [0.001, 0.01] } },
      strategy: { type: 'random', trials: 4, seed: 2 },
      training: { epochs: 7, batchSize: 32, seed: 1 },
    },
    'retry-plan.json',
  ),
);

function row(number: number, status: TrialRow['status'], fields: Partial<TrialRow> = {}): TrialRow {
  return {
    id: `s-trial-${number}`,
    number,
    status,
    params: { learningRate: 0.001 * number },
    variant: { epochs: 7 },
    attempts: 1,
    bestValAuc: null,
    bestValPrAuc: null,
    bestValLoss: null,
    bestEpoch: null,
    paramCount: 100,
    inferenceMsPer1k: null,
    trainSeconds: null,
    ...fields,
  } as TrialRow;
}

test('retry runs the failed and cancelled trials with their attempts, and the planned trials that never started, never a finished one', () => {
  const rows = [row(1, 'completed', { bestValAuc: 0.7 }), row(2, 'failed', { attempts: 5 }), row(3, 'cancelled', { attempts: 2 })];
  const retried = trialsToRetry(setup, rows);
  assert.deepEqual(
    retried.map((t) => [t.trial, t.attemptsBefore, t.untilEpoch]),
    [
      [2, 5, 7],
      [3, 2, 7],
      [4, 0, 7],
    ],
  );
  assert.deepEqual(retried[0]!.params, rows[1]!.params, "a trial with a row keeps its row's params");
  assert.deepEqual(
    trialsToRetry(
      setup,
      [1, 2, 3, 4].map((n) => row(n, n === 2 ? 'early-stopped' : 'completed')),
    ),
    [],
  );
});

test("the retry run starts from the finished trials' counts and best", () => {
  const carry = carryOfFinished(setup, [
    row(1, 'completed', { bestValAuc: 0.7 }),
    row(2, 'early-stopped', { bestValAuc: 0.8, bestEpoch: 3 }),
    row(3, 'failed'),
    row(4, 'completed', { bestValAuc: Number.NaN }),
  ]);
  assert.deepEqual(carry.counts, { completed: 2, 'early-stopped': 1, failed: 0, cancelled: 0 });
  assert.equal(carry.best?.trialId, 's-trial-2');
  assert.deepEqual(
    carry.leaderboard?.map((e) => e.trial),
    [2, 1],
  );
  assert.equal(carry.trialRuns, 0);
});
