/**
 * The check every fault scenario ends with, on PostgreSQL and on Temporal, and the per-scenario
 * record (epochs redone, wall time) that `npm run test:faults` prints as a table.
 */
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import type { TrialRow } from '../../../src/db/types.js';
import type { TestResultsStore } from '../../support/results-store.js';
import { isTerminalSweepStatus } from '../../../src/domain/status.js';
import { sweepHistories } from '../../support/sweep-history.js';
import type { WorkerProcess } from '../../support/worker-process.js';

export interface InvariantOptions {
  /** Trial statuses this scenario allows (default: completed or early-stopped). */
  allowed?: readonly TrialRow['status'][];
  /** A cancelled sweep: trials it never started have no row (the others must be planned ones, once each). */
  startedOnly?: boolean;
}

/**
 * Every planned trial exactly once, completed (or, where allowed, failed with a reason / cancelled);
 * epochs contiguous 1..n per trial with no duplicate rows; the reported best equals the maximum over
 * the trial rows; the sweep row terminal; no workflow task failure (non-determinism) in any history.
 */
export async function assertSweepInvariants(db: TestResultsStore, client: Client, sweepId: string, options: InvariantOptions = {}): Promise<TrialRow[]> {
  const allowed = options.allowed ?? ['completed', 'early-stopped'];
  const sweep = await db.getSweep(sweepId);
  assert.ok(sweep, `sweep ${sweepId} has a row`);
  assert.ok(isTerminalSweepStatus(sweep.status), `sweep ${sweepId} is terminal (status ${sweep.status})`);

  const trials = await db.listTrials(sweepId);
  const numbers = trials.map((t) => t.number);
  if (options.startedOnly) {
    assert.equal(new Set(numbers).size, numbers.length, 'no trial twice');
    assert.ok(
      numbers.every((n) => n >= 1 && n <= sweep.totalTrials),
      'only planned trials',
    );
  } else {
    assert.deepEqual(
      numbers,
      Array.from({ length: sweep.totalTrials }, (_, i) => i + 1),
      'every planned trial exactly once',
    );
  }
  for (const t of trials) {
    assert.ok(allowed.includes(t.status), `${t.id}: status ${t.status} (allowed: ${allowed.join(', ')}; reason: ${t.failureReason})`);
    if (t.status === 'failed') assert.ok(t.failureReason, `${t.id} failed with a reason`);
    const epochs = (await db.trialEpochs(t.id)).map((e) => e.epoch);
    assert.deepEqual(
      epochs,
      Array.from({ length: t.epochsTrained }, (_, i) => i + 1),
      `${t.id}: epochs contiguous 1..${t.epochsTrained}, no duplicate`,
    );
  }

  const withResult = trials.filter((t) => t.bestValAuc !== null);
  if (sweep.status === 'completed' && withResult.length > 0) {
    const best = trials.find((t) => t.id === sweep.bestTrialId);
    assert.ok(best, `sweep ${sweepId} reports a best trial`);
    assert.equal(best.bestValAuc, Math.max(...withResult.map((t) => t.bestValAuc!)), 'the reported best is the maximum over the trial rows');
  }

  // Every run of the sweep workflow: its trials are activities in these histories.
  for (const history of await sweepHistories(client, sweepId)) {
    const failed = (history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes);
    assert.deepEqual(
      failed.map((e) => e.workflowTaskFailedEventAttributes!.failure?.message),
      [],
      `${sweepId}: no workflow task failures in its history`,
    );
  }
  return trials;
}

/** Epochs trained more than once, over every worker's log (a redone epoch shows in two workers' logs, or twice in one). */
export function epochsRedone(workers: readonly WorkerProcess[], sweepId: string): number {
  const trainedEpochs = new Map<string, number[]>();
  for (const w of workers) {
    for (const [trial, epochs] of w.epochs) if (trial.startsWith(`${sweepId}-trial-`)) trainedEpochs.set(trial, [...(trainedEpochs.get(trial) ?? []), ...epochs]);
  }
  let redone = 0;
  for (const epochs of trainedEpochs.values()) redone += epochs.length - new Set(epochs).size;
  return redone;
}

export interface ScenarioRecord {
  scenario: string;
  epochsRedone: number;
  wallSeconds: number;
  /** What the scenario injected, e.g. "PostgreSQL down 90 s". */
  fault: string;
  notes?: string;
}

/** Appends the scenario's row to FAULTS_RESULTS (set by test/faults/run.ts) for the closing table. */
export function recordScenario(record: ScenarioRecord): void {
  const file = process.env.FAULTS_RESULTS;
  if (file) appendFileSync(file, JSON.stringify(record) + '\n');
}
