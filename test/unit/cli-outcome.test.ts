import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { sweepOutcome, SWEEP_FAILED_EXIT } from '../../src/cli/outcome.js';
import { followSweep, ProgressView } from '../../src/cli/progress.js';
import { printLeaderboard, type SweepReport } from '../../src/cli/report.js';
import type { sweepWorkflow } from '../../workflows/sweep.js';

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
const report = (status: SweepReport['status'], trials: SweepReport['trials'], failureReason: string | null = null): SweepReport => ({
  sweepId: 's',
  status,
  failureReason,
  best: null,
  ranked: false,
  trials,
});

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

test('a failed sweep with trial results names the reason its workflow recorded, not "no trial produced a result"', () => {
  const failed = report('failed', [trial(1, 'completed', 0.9), trial(2, 'failed', null)], 'export of the best model failed: checkpoint.bin is truncated or corrupt');
  const outcome = sweepOutcome(failed);
  assert.equal(outcome.exitCode, SWEEP_FAILED_EXIT);
  assert.equal(outcome.message, 'error: sweep s failed: export of the best model failed: checkpoint.bin is truncated or corrupt');
  const printed = captureLog(() => printLeaderboard(failed));
  assert.match(printed, /^s: failed \(export of the best model failed: checkpoint\.bin is truncated or corrupt\)$/m);
  assert.doesNotMatch(printed, /No trial produced a validation AUC/, 'trial 1 did produce one');
  assert.match(
    captureLog(() => printLeaderboard(report('failed', [trial(1, 'failed', null)], 'no trial produced a result (1 failed, 0 cancelled)'))),
    /No trial produced a validation AUC/,
  );
});

test('a sweep workflow that failed without recording it (terminated) still exits 3 with its reason', () => {
  assert.deepEqual(sweepOutcome(report('running', [trial(1, 'running', null)]), 'Workflow execution terminated'), {
    exitCode: SWEEP_FAILED_EXIT,
    message: 'error: sweep s failed: Workflow execution terminated',
  });
});

test('following a sweep whose workflow fails returns its reason instead of throwing', async () => {
  const handle = {
    workflowId: 's',
    result: () => Promise.reject(new WorkflowFailedError('Workflow execution failed', new Error('no space left on device'), 'NON_RETRYABLE_FAILURE')),
    query: () => Promise.reject(new Error('no worker')),
  } as unknown as WorkflowHandle<typeof sweepWorkflow>;
  assert.deepEqual(await followSweep(handle, new ProgressView(null, 1)), { failed: 'no space left on device' });
});

function captureLog(fn: () => void): string {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.join(' '));
  try {
    fn();
  } finally {
    console.log = log;
  }
  return lines.join('\n');
}
