// Pause and resume (updates that answer or refuse, and the older signals) and cancel reach a running sweep; workflow histories replay deterministically; a sweep
// that continues-as-new mid-way still runs every trial exactly once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker } from '@temporalio/worker';
import { workflowBundle } from '../../workers/index.js';
import { sweepWorkflow } from '../../workflows/sweep.js';
import { pauseSignal, progressQuery, resumeSignal, type SweepProgress } from '../../workflows/types.js';
import { sweepInputOf } from '../../src/sweep-spec/plan.js';
import { sweepStrategy } from '../../src/strategy/index.js';
import { prepareSweep } from '../../src/cli/prepare.js';
import { openSweepHarness, tinyDataset, type SweepHarness } from './support/sweep-harness.js';
import { until } from './support/until.js';
import { sweepHistories } from '../support/sweep-history.js';
import { signalsOnlySweep } from './support/signals-only-sweep.js';

let h: SweepHarness;
before(async () => (h = await openSweepHarness({ concurrency: 1 })));
after(async () => h?.close());

const model = { preset: 'danq-lite', seqLen: 60, convFilters: 4, convKernel: 9, poolSize: 4, rnnUnits: 4, denseUnits: 0 };

function specFile(name: string, trials: number, epochs: number) {
  return h.spec(name, {
    name,
    dataset: tinyDataset,
    model,
    space: { learningRate: { logUniform: [0.001, 0.01] } },
    strategy: { type: 'random', trials, seed: 2 },
    training: { epochs, batchSize: 32, seed: 1 },
    maxConcurrentTrials: 1,
  });
}

async function startDetached(file: string): Promise<string> {
  const { code, stdout, stderr } = await h.sweep('start', file, '--detach', '--json');
  assert.equal(code, 0, stderr);
  return (JSON.parse(stdout) as { sweepId: string }).sweepId;
}

const progress = (id: string) => h.client.workflow.getHandle(id).query(progressQuery);

test('pause and resume answer with the new status or refuse with the reason; a paused sweep starts no trial until resumed', async () => {
  // Enough trials that the pause (a CLI start away) lands mid-sweep: warm training processes make a 1-epoch trial take ~1 s.
  const id = await startDetached(specFile('pausing', 8, 2));
  const refusedResume = await h.sweep('resume', id);
  assert.equal(refusedResume.code, 2, refusedResume.stderr);
  assert.equal(refusedResume.stderr, `error: SWEEP_ID: sweep ${id} is running, not paused\n`);

  const pausing = await h.sweep('pause', id, '--json');
  assert.equal(pausing.code, 0, pausing.stderr);
  assert.deepEqual(JSON.parse(pausing.stdout), { sweepId: id, status: 'paused' });
  // The update returns once the sweep has paused: no polling needed.
  assert.equal((await progress(id)).status, 'paused');
  const refusedPause = await h.sweep('pause', id);
  assert.equal(refusedPause.code, 2, refusedPause.stderr);
  assert.equal(refusedPause.stderr, `error: SWEEP_ID: sweep ${id} is already paused\n`);

  // Whatever was running when the pause arrived finishes, and nothing new starts.
  const settled = await until('running trials to drain', async () => {
    const p = await progress(id);
    return p.running.length === 0 ? p : undefined;
  });
  const doneWhilePaused = Object.values(settled.counts).reduce((a, b) => a + b, 0);
  assert.ok(doneWhilePaused < 8, 'a paused sweep does not finish');
  await until('the paused row', async () => ((await h.db.getSweep(id))?.status === 'paused' ? true : undefined));

  const resuming = await h.sweep('resume', id);
  assert.equal(resuming.code, 0, resuming.stderr);
  assert.match(resuming.stdout, new RegExp(`^${id}: running \\(new trials start again\\)\\n$`));
  const result = await h.client.workflow.getHandle(id).result();
  assert.equal(result.status, 'completed');
  assert.equal(result.counts.completed, 8);
  const rows = await h.db.listTrials(id);
  assert.deepEqual(
    rows.map((t) => t.number),
    [1, 2, 3, 4, 5, 6, 7, 8],
  );
  assert.equal((await h.db.getSweep(id))?.status, 'completed');

  const ended = await h.sweep('pause', id);
  assert.equal(ended.code, 2, ended.stderr);
  assert.equal(ended.stderr, `error: SWEEP_ID: sweep ${id} has ended (completed); only a running or paused sweep can be paused, resumed or cancelled\n`);

  // The accepted updates are in the sweep's history (the refused ones are not), and no trial was scheduled between them.
  let pausedNow = false;
  const updates: string[] = [];
  let scheduledWhilePaused = 0;
  for (const history of (await sweepHistories(h.client, id)).reverse()) {
    for (const e of history.events ?? []) {
      const update = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.name;
      if (update) {
        updates.push(update);
        pausedNow = update === 'pause';
      }
      if (pausedNow && e.activityTaskScheduledEventAttributes?.activityType?.name === 'trainTrial') scheduledWhilePaused++;
    }
  }
  assert.deepEqual(updates, ['pause', 'resume']);
  assert.equal(scheduledWhilePaused, 0, 'no trial was scheduled while paused');
});

test("an older CLI's pause and resume signals still reach a sweep on today's workers", async () => {
  const id = await startDetached(specFile('signalled', 6, 1));
  const handle = h.client.workflow.getHandle(id);
  await handle.signal(pauseSignal);
  await until('paused', async () => ((await progress(id)).status === 'paused' ? true : undefined));
  // The update's validator sees the state the signal set.
  const refusedPause = await h.sweep('pause', id);
  assert.equal(refusedPause.code, 2, refusedPause.stderr);
  assert.match(refusedPause.stderr, /is already paused/);
  await handle.signal(resumeSignal);
  const result = await handle.result();
  assert.equal(result.counts.completed, 6);
});

test('a sweep on a worker without the pause update gets the signal instead, with a note', async () => {
  const taskQueue = `${h.config.taskQueues.orchestration}-signals-only`;
  const connection = await NativeConnection.connect({ address: h.config.temporalAddress! });
  const worker = await Worker.create({ connection, taskQueue, workflowsPath: fileURLToPath(new URL('./support/signals-only-sweep.ts', import.meta.url)) });
  try {
    await worker.runUntil(async () => {
      const id = `sweep-signals-only-${Date.now().toString(36)}`;
      const handle = await h.client.workflow.start(signalsOnlySweep, { taskQueue, workflowId: id, args: [id] });
      const paused = await h.sweep('pause', id);
      assert.equal(paused.code, 0, paused.stderr);
      assert.equal(paused.stdout, `${id}: pause sent (no new trials start; running trials finish)\n`);
      assert.equal(paused.stderr, `note: sweep ${id} runs on a worker older than the pause update; sent the pause signal instead (sweep status ${id} shows whether it took effect)\n`);
      assert.equal((await h.sweep('resume', id)).code, 0);
      assert.deepEqual(await handle.result(), ['paused', 'running']);
    });
  } finally {
    await connection.close();
  }
});

test('a sweep exporting its best model refuses pause and resume as finishing, and as cancelled once cancelled', async () => {
  // A retry run with no trial left goes straight to exporting the carried best model, on a train
  // queue no worker polls: the sweep stays in its finish, where only the validator answers.
  const { loaded, dataset } = await prepareSweep(specFile('finishing', 1, 1), h.config);
  const sweepId = `sweep-finishing-${Date.now().toString(36)}`;
  const trainQueue = `${h.config.taskQueues.train}-unpolled`;
  const input = sweepInputOf(loaded.spec, { sweepId, baseDir: loaded.baseDir, datasetFingerprint: dataset.fingerprint, seqLen: dataset.seqLen, trainQueue, totalTrials: 1 });
  const best = { trial: 1, trialId: `${sweepId}-trial-1`, valAuc: 0.7, bestEpoch: 1, paramCount: 1, params: {} };
  const carried = { strategy: sweepStrategy.initial(input.setup), paused: false, counts: { completed: 1, 'early-stopped': 0, failed: 0, cancelled: 0 }, trialRuns: 1, best };
  const handle = await h.client.workflow.start(sweepWorkflow, { taskQueue: h.config.taskQueues.orchestration, workflowId: sweepId, args: [{ ...input, carried, retry: [] }] });
  try {
    await until('the export scheduled', async () => ((await handle.describe()).raw.pendingActivities?.some((a) => a.activityType?.name === 'exportBestModel') ? true : undefined));
    for (const action of ['pause', 'resume']) {
      const refused = await h.sweep(action, sweepId);
      assert.equal(refused.code, 2, refused.stderr);
      assert.equal(refused.stderr, `error: SWEEP_ID: sweep ${sweepId} is finishing: it has no trials left to start\n`);
    }
    assert.equal((await h.sweep('cancel', sweepId)).code, 0);
    await until('cancelled', async () => ((await progress(sweepId)).status === 'cancelled' ? true : undefined));
    for (const action of ['pause', 'resume']) {
      const refused = await h.sweep(action, sweepId);
      assert.equal(refused.code, 2, refused.stderr);
      assert.equal(refused.stderr, `error: SWEEP_ID: sweep ${sweepId} is cancelled\n`);
    }
  } finally {
    await handle.terminate('test done');
  }
});

test('pause with no worker to answer gives up after 30 s with exit 4, naming what to start', async () => {
  const sweepId = `sweep-unanswered-${Date.now().toString(36)}`;
  const handle = await h.client.workflow.start('sweepWorkflow', { taskQueue: `${h.config.taskQueues.orchestration}-unpolled`, workflowId: sweepId });
  try {
    const { code, stderr } = await h.sweep('pause', sweepId);
    assert.equal(code, 4, stderr);
    assert.match(stderr, new RegExp(`^error: SWEEP_ID: no worker answered the pause of sweep ${sweepId} within 30 s \\(is a worker running\\? sweep dev / sweep worker\\)`));
  } finally {
    await handle.terminate('test done');
  }
});

test('cancel stops the running trial between batches and records it as cancelled', async () => {
  const id = await startDetached(specFile('cancelling', 3, 5000));
  // Wait until a trial has trained at least one epoch, then cancel.
  await until('a trained epoch', async () => {
    const rows = await h.db.listTrials(id);
    return rows.some((t) => t.epochsTrained >= 1) ? true : undefined;
  });
  const { code, stdout } = await h.sweep('cancel', id);
  assert.equal(code, 0);
  assert.match(stdout, /cancel sent/);
  const result = await h.client.workflow.getHandle(id).result();
  assert.equal(result.status, 'cancelled');
  const resumed = await h.sweep('resume', id);
  assert.equal(resumed.code, 2, resumed.stderr);
  assert.match(resumed.stderr, new RegExp(`^error: SWEEP_ID: sweep ${id} has ended \\(cancelled\\)`));
  const rows = await h.db.listTrials(id);
  assert.equal(rows.length, 1, 'no trial started after the cancel');
  assert.equal(rows[0]!.status, 'cancelled');
  assert.ok(rows[0]!.epochsTrained < 5000, 'stopped before its last epoch');
  assert.equal((await h.db.getSweep(id))?.status, 'cancelled');
});

test('continue-as-new mid-sweep: every trial runs exactly once, and the histories replay deterministically', async () => {
  const file = specFile('renewing', 4, 1);
  const { loaded, dataset } = await prepareSweep(file, h.config);
  const sweepId = `sweep-renewing-${Date.now().toString(36)}`;
  await h.db.createSweep({ id: sweepId, name: 'renewing', spec: loaded.spec, datasetFingerprint: dataset.fingerprint, strategy: 'random', totalTrials: 4, workflowId: sweepId });
  const input = sweepInputOf(loaded.spec, {
    sweepId,
    baseDir: loaded.baseDir,
    datasetFingerprint: dataset.fingerprint,
    seqLen: dataset.seqLen,
    trainQueue: h.config.taskQueues.train,
    totalTrials: 4,
    trialRunsPerHistory: 2,
  });
  const handle = await h.client.workflow.start(sweepWorkflow, { taskQueue: h.config.taskQueues.orchestration, workflowId: sweepId, args: [input] });
  const result = await handle.result();
  assert.equal(result.status, 'completed');
  assert.equal(result.counts.completed, 4);
  const rows = await h.db.listTrials(sweepId);
  assert.deepEqual(
    rows.map((t) => [t.number, t.status]),
    [1, 2, 3, 4].map((n) => [n, 'completed']),
  );
  const progressNow: SweepProgress = await handle.query(progressQuery);
  assert.equal(progressNow.counts.completed, 4);

  // Replay every run of the sweep (3 runs: 2 + 2 trials, then the final one) and one trial.
  const runs = [];
  for await (const w of h.client.workflow.list({ query: `WorkflowId="${sweepId}" OR WorkflowId="${sweepId}-trial-1"` })) runs.push(w);
  assert.ok(runs.length >= 3, `expected the continued runs and a trial, got ${runs.length}`);
  const bundle = await workflowBundle();
  for (const run of runs) {
    const history = await h.client.workflow.getHandle(run.workflowId, run.runId).fetchHistory();
    await Worker.runReplayHistory({ workflowBundle: bundle }, history, run.workflowId);
  }
});

test('cancelling the sweep workflow from the Temporal UI/API ends it as cancelled, with its running trial recorded', async () => {
  const id = await startDetached(specFile('uicancel', 3, 5000));
  await until('a trained epoch', async () => ((await h.db.listTrials(id)).some((t) => t.epochsTrained >= 1) ? true : undefined));
  const handle = h.client.workflow.getHandle(id);
  await handle.cancel();
  const result = await handle.result();
  assert.equal(result.status, 'cancelled');
  assert.equal((await h.db.getSweep(id))?.status, 'cancelled');
  const rows = await h.db.listTrials(id);
  assert.deepEqual(
    rows.map((t) => t.status),
    ['cancelled'],
  );
});

test('sweep status --watch follows a detached sweep to its end and prints the final report', async () => {
  const id = await startDetached(specFile('watching', 2, 3));
  const { code, stdout, stderr } = await h.sweep('status', id, '--watch', '--json');
  assert.equal(code, 0, stderr);
  const report = JSON.parse(stdout) as { status: string; trials: { status: string; epochs: number }[] };
  assert.equal(report.status, 'completed');
  assert.deepEqual(
    report.trials.map((t) => [t.status, t.epochs]),
    [
      ['completed', 3],
      ['completed', 3],
    ],
  );
});
