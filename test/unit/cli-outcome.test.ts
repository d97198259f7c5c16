import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sweepOutcome, SWEEP_FAILED_EXIT } from '../../src/cli/outcome.js';
import type { SweepReport } from '../../src/cli/report.js';

const trial = (n: number, status: SweepReport['trials'][number]['status'], valAuc: number | null): SweepReport['trials'][number] => ({
  trialId: `s-trial-${n}`,
  params: {},
  status,
  valAuc,
  paramCount: null,
  inferenceMsPer1k: null,
  trainSeconds: null,
  paretoRank: null,
  feasible: null,
  epochs: valAuc === null ? 0 : 3,
  backend: 'wasm',
  failureReason: status === 'failed' ? 'DatasetMismatch: changed' : null,
});
const report = (status: SweepReport['status'], trials: SweepReport['trials']): SweepReport => ({ sweepId: 's', status, best: null, ranked: false, trials });

test('a sweep whose row is failed exits 3 and says no trial produced a result', () => {
  const outcome = sweepOutcome(report('failed', [trial(1, 'failed', null), trial(2, 'failed', null)]));
  assert.equal(outcome.exitCode, SWEEP_FAILED_EXIT);
  assert.match(outcome.message!, /sweep s failed: none of its 2 trial\(s\) produced a result \(2 failed/);
});

test('a completed sweep without a single trial result counts as failed, whoever recorded it', () => {
  assert.equal(sweepOutcome(report('completed', [trial(1, 'failed', null)])).exitCode, SWEEP_FAILED_EXIT);
});

test('some failed trials: exit 0 with a visible count', () => {
  const outcome = sweepOutcome(report('completed', [trial(1, 'failed', null), trial(2, 'completed', 0.9), trial(3, 'completed', 0.8)]));
  assert.equal(outcome.exitCode, 0);
  assert.equal(outcome.message, 'warning: 1 of 3 trial(s) failed (reasons above); the best is chosen from the 2 with a result');
});

test('a clean, a running and a cancelled sweep exit 0 with nothing to add', () => {
  assert.deepEqual(sweepOutcome(report('completed', [trial(1, 'completed', 0.9)])), { exitCode: 0, message: undefined });
  assert.deepEqual(sweepOutcome(report('running', [trial(1, 'running', null)])), { exitCode: 0, message: undefined });
  assert.deepEqual(sweepOutcome(report('cancelled', [trial(1, 'cancelled', null)])), { exitCode: 0, message: undefined });
});
