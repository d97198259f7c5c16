// `sweep retry` through the real CLI: a cancelled sweep re-runs only what did not finish, the
// cancelled trial resuming from its checkpoint, and ends completed with every trial once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { SweepResult } from '../../workflows/types.js';
import { openSweepHarness, tinyDataset, type SweepHarness } from './support/sweep-harness.js';
import { until } from './support/until.js';
import { trainingStarts } from '../support/sweep-history.js';

let h: SweepHarness;
before(async () => (h = await openSweepHarness({ concurrency: 1 })));
after(async () => h?.close());

// A cancel reaches a training activity with its next heartbeat, which Temporal's worker throttles to
// 80% of the 30 s heartbeat timeout: each trial must outlast that for the cancel to land mid-trial.
const EPOCHS = 300;
const model = { preset: 'danq-lite', seqLen: 60, convFilters: 4, convKernel: 9, poolSize: 4, rnnUnits: 4, denseUnits: 0 };

function specFile(name: string, trials: number) {
  return h.spec(name, {
    name,
    dataset: tinyDataset,
    model,
    space: { learningRate: { logUniform: [0.001, 0.01] } },
    strategy: { type: 'random', trials, seed: 2 },
    training: { epochs: EPOCHS, batchSize: 32, seed: 1 },
    maxConcurrentTrials: 1,
  });
}

async function startDetached(file: string): Promise<string> {
  const { code, stdout, stderr } = await h.sweep('start', file, '--detach', '--json');
  assert.equal(code, 0, stderr);
  return (JSON.parse(stdout) as { sweepId: string }).sweepId;
}

test('a cancelled sweep: retry resumes the cancelled trial from its checkpoint, runs the trials that never started, and completes', async () => {
  const id = await startDetached(specFile('retrying', 2));
  await until('a trained epoch', async () => ((await h.db.listTrials(id)).some((t) => t.epochsTrained >= 1) ? true : undefined));
  assert.equal((await h.sweep('cancel', id)).code, 0);
  assert.equal((await h.client.workflow.getHandle(id).result()).status, 'cancelled');
  const before = await h.db.listTrials(id);
  // Trials that finished before the cancel landed stay as they are; the running one is cancelled mid-way.
  const finished = before.filter((t) => t.status === 'completed');
  const cancelled = before.find((t) => t.status === 'cancelled');
  assert.ok(cancelled, `one trial cancelled (${before.map((t) => t.status).join(', ')})`);
  assert.equal(before.length, finished.length + 1, 'no trial started after the cancel');
  assert.ok(cancelled.epochsTrained >= 1 && cancelled.epochsTrained < EPOCHS, `stopped mid-way (${cancelled.epochsTrained} epochs)`);
  const epochsBefore = await h.db.trialEpochs(cancelled.id);

  const retried = await h.sweep('retry', id, '--detach', '--json');
  assert.equal(retried.code, 0, retried.stderr);
  const { workflowId, trials } = JSON.parse(retried.stdout) as { workflowId: string; trials: number[] };
  assert.equal(workflowId, `${id}-retry-1`);
  assert.deepEqual(
    trials,
    [1, 2].filter((n) => n >= cancelled.number),
  );
  assert.equal((await h.db.getSweep(id))?.status, 'running');
  const whileRunning = await h.sweep('retry', id);
  assert.equal(whileRunning.code, 2);
  assert.match(whileRunning.stderr, /is running; only a failed, cancelled or completed sweep can be retried/);

  const result: SweepResult = await h.client.workflow.getHandle(workflowId).result();
  assert.equal(result.status, 'completed');
  assert.deepEqual(result.counts, { completed: 2, 'early-stopped': 0, failed: 0, cancelled: 0 });
  const sweep = await h.db.getSweep(id);
  assert.equal(sweep?.status, 'completed');
  assert.ok(sweep?.bestTrialId && result.best?.modelPath, 'the best model was chosen and exported');

  const rows = await h.db.listTrials(id);
  assert.deepEqual(
    rows.map((t) => [t.number, t.status, t.epochsTrained]),
    [1, 2].map((n) => [n, 'completed', EPOCHS]),
  );
  for (const row of rows) {
    const epochs = await h.db.trialEpochs(row.id);
    assert.deepEqual(
      epochs.map((e) => e.epoch),
      Array.from({ length: EPOCHS }, (_, i) => i + 1),
      `trial ${row.number}: epochs contiguous`,
    );
  }
  // Resumed, not retrained: the epochs trained before the cancel keep their rows (a retrained epoch overwrites its row).
  const resumed = await h.db.trialEpochs(cancelled.id);
  assert.deepEqual(
    resumed.slice(0, epochsBefore.length).map((e) => [e.epoch, e.seconds, e.recordedAt.getTime()]),
    epochsBefore.map((e) => [e.epoch, e.seconds, e.recordedAt.getTime()]),
  );
  for (const row of rows) {
    const earlier = before.find((t) => t.number === row.number);
    if (earlier?.status === 'completed') {
      // Never run again: its row is untouched and the retry run scheduled no training for it.
      assert.equal(row.updatedAt.getTime(), earlier.updatedAt.getTime(), `trial ${row.number} untouched`);
      assert.equal((await trainingStarts(h.client, workflowId, row.id)).length, 0);
    } else {
      // Trained once in the retry run; the cancelled one's row counts the attempts of both runs.
      assert.equal((await trainingStarts(h.client, workflowId, row.id)).length, 1, `trial ${row.number} trained once in the retry`);
      assert.equal(row.attempts, (earlier?.attempts ?? 0) + 1, `trial ${row.number}: attempts keep counting`);
    }
  }

  const again = await h.sweep('retry', id);
  assert.equal(again.code, 2);
  assert.match(again.stderr, /is completed with nothing to retry/);
});

test('retry refuses an unknown sweep', async () => {
  const { code, stderr } = await h.sweep('retry', 'sweep-nope-0011223344556677');
  assert.equal(code, 2);
  assert.match(stderr, /no sweep 'sweep-nope-0011223344556677'/);
});
