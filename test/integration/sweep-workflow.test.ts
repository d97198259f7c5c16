// Fast workflow tests: the real sweep and trial workflows on the run's real Temporal server
// (@temporalio/testing's environment over it) and the real bookkeeping activities on a real
// PostgreSQL; only training is a stub, so each sweep takes about a second. Covers what is hard to
// reach with real training: a sweep workflow that fails, a sweep where no trial produced a result,
// the non-retryable error list, and what the Temporal UI shows (summaries, current details).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import { WorkflowFailedError } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { createActivities, type Activities } from '../../src/activities/index.js';
import { loadConfig } from '../../src/config/index.js';
import { openDb } from '../../src/db/index.js';
import type { ResultsStore } from '../../src/db/types.js';
import { parseSpec } from '../../src/sweep-spec/load.js';
import { planTrials, sweepInputOf } from '../../src/sweep-spec/plan.js';
import { workflowBundle } from '../../workers/index.js';
import { sweepWorkflow } from '../../workflows/sweep.js';
import type { SweepInput, TrialInput, TrialResult } from '../../workflows/types.js';
import { createFreshDatabase, type FreshDatabase } from './support/fresh-database.js';

let env: TestWorkflowEnvironment;
let database: FreshDatabase;
let db: ResultsStore;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `sweep-wf-${randomBytes(4).toString('hex')}`;
const config = loadConfig({ ...process.env, SWEEP_HOME: mkdtempSync(path.join(tmpdir(), 'sweep-wf-')) });

/** What the stub training does for a trial: its result, or an error to throw. Set per test. */
let train: (input: TrialInput, attempt: number) => TrialResult | Error = (input) => completed(input, 0.7);
let exportModel: () => Promise<string> = async () => '/models/best';
const attempts = new Map<string, number>();

function completed(input: TrialInput, valAuc: number): TrialResult {
  const epochs = input.untilEpoch;
  return {
    sweepId: input.sweepId,
    trial: input.trial,
    trialId: input.trialId,
    status: 'completed',
    epochsTrained: epochs,
    bestEpoch: epochs,
    bestValAuc: valAuc,
    paramCount: 1000,
    params: input.params,
    objectiveByEpoch: Array(epochs).fill(valAuc),
  };
}

before(async () => {
  env = await TestWorkflowEnvironment.createFromExistingServer({ address: process.env.TEMPORAL_ADDRESS });
  database = await createFreshDatabase('sweepwf');
  db = await openDb(database.url);
  const real = createActivities({ db, config, identity: 'stub-worker', backend: 'cpu' });
  const activities: Activities = {
    ...real,
    // The stub keeps the real activity's contract: it records the trial's row and result itself.
    async trainTrial(input) {
      const attempt = (attempts.get(input.trialId) ?? 0) + 1;
      attempts.set(input.trialId, attempt);
      const outcome = train(input, attempt);
      if (outcome instanceof Error) throw outcome;
      await real.recordTrialResult({ ...outcome, worker: 'stub-worker' }, input.training.model);
      return outcome;
    },
    exportBestModel: () => exportModel(),
  };
  worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities });
  running = worker.run();
});

after(async () => {
  worker?.shutdown();
  await running;
  await db?.close();
  await database?.drop();
  await env?.teardown();
});

async function createSweep(name: string, spec: Record<string, unknown>): Promise<SweepInput> {
  const parsed = parseSpec({ name, dataset: { format: 'synthetic' }, model: { seqLen: 100 }, training: { epochs: 2, batchSize: 32, seed: 1 }, maxConcurrentTrials: 2, ...spec }, `${name}.json`);
  const sweepId = `sweep-${name}-${randomBytes(3).toString('hex')}`;
  const trials = planTrials(parsed);
  await db.createSweep({ id: sweepId, name, spec: parsed, datasetFingerprint: 'stub', strategy: parsed.strategy.type, totalTrials: trials.length, workflowId: sweepId });
  return sweepInputOf(parsed, { sweepId, baseDir: '.', datasetFingerprint: 'stub', seqLen: 100, trainQueue: taskQueue, totalTrials: trials.length });
}

async function startSweep(name: string, spec: Record<string, unknown>): Promise<{ input: SweepInput; result: Promise<unknown>; workflowId: string }> {
  const input = await createSweep(name, spec);
  const sweepId = input.sweepId;
  const handle = await env.client.workflow.start(sweepWorkflow, { taskQueue, workflowId: sweepId, args: [input] });
  return { input, result: handle.result(), workflowId: sweepId };
}

const grid = { space: { convFilters: [8, 16], rnn: ['lstm', 'gru'] }, strategy: { type: 'grid' } };

test('a sweep workflow that fails records the sweep row as failed with the reason, never running', async () => {
  train = (input) => completed(input, 0.6 + input.trial / 100);
  exportModel = async () => {
    throw ApplicationFailure.nonRetryable('disk full while writing model.json', 'ExportFailed');
  };
  const { result, input } = await startSweep('failing', grid);
  try {
    await assert.rejects(result, (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError);
      assert.ok(err.cause instanceof ApplicationFailure);
      assert.equal(err.cause.type, 'SweepFailed');
      assert.match(err.cause.message, /ExportFailed: disk full while writing model\.json/);
      return true;
    });
  } finally {
    exportModel = async () => '/models/best';
  }
  const row = await db.getSweep(input.sweepId);
  assert.equal(row?.status, 'failed');
  assert.match(row?.failureReason ?? '', /disk full while writing model\.json/);
  assert.ok(row?.finishedAt, 'finished_at set');
});

test('a sweep in which no trial produced a result ends failed, with the counts and a reason', async () => {
  train = () => ApplicationFailure.nonRetryable('dataset truncated', 'UserError');
  const { result, input } = await startSweep('nothing', grid);
  const outcome = (await result) as Awaited<ReturnType<typeof sweepWorkflow>>;
  assert.equal(outcome.status, 'failed');
  assert.deepEqual(outcome.counts, { completed: 0, 'early-stopped': 0, failed: 4, cancelled: 0 });
  assert.equal(outcome.best, undefined);
  assert.match(outcome.failureReason ?? '', /no trial produced a result \(4 failed, 0 cancelled\)/);
  const row = await db.getSweep(input.sweepId);
  assert.equal(row?.status, 'failed');
  assert.equal(row?.failureReason, outcome.failureReason);
  const trials = await db.listTrials(input.sweepId);
  assert.deepEqual(
    trials.map((t) => [t.status, t.failureReason]),
    Array(4).fill(['failed', 'UserError: dataset truncated']),
  );
});

test('nonRetryableErrors is true: NonFiniteLossError is tried once, other failures are retried', async () => {
  // Retryable failures (nonRetryable not set by the thrower): only the workflow's list can stop the retries.
  train = (input, attempt) => {
    if (input.trial === 1) return ApplicationFailure.retryable('training loss is NaN at epoch 1', 'NonFiniteLossError');
    if (input.trial === 2 && attempt === 1) return ApplicationFailure.retryable('worker lost', 'TrainingProcessExited');
    return completed(input, 0.7);
  };
  const { result, input } = await startSweep('retries', { space: { convFilters: [8, 16] }, strategy: { type: 'grid' } });
  const outcome = (await result) as Awaited<ReturnType<typeof sweepWorkflow>>;
  assert.equal(outcome.status, 'completed');
  assert.equal(attempts.get(`${input.sweepId}-trial-1`), 1, 'NonFiniteLossError is not retried');
  assert.equal(attempts.get(`${input.sweepId}-trial-2`), 2, 'a crash is retried');
  const [diverged] = await db.listTrials(input.sweepId);
  assert.equal(diverged?.failureReason, 'NonFiniteLossError: training loss is NaN at epoch 1');
});

test('an invalid variant fails its trial once with InvalidVariant (thrown by the real training activity)', async () => {
  train = (input) => completed(input, 0.7);
  const real = createActivities({ db, config, identity: 'stub-worker', backend: 'cpu' });
  const input = await createSweep('invalid', grid);
  const trialInput: TrialInput = { sweepId: input.sweepId, trialId: `${input.sweepId}-trial-99`, trial: 99, params: { poolSize: 5000 }, untilEpoch: 1, resumes: false, training: input.training };
  const { MockActivityEnvironment } = await import('@temporalio/testing');
  await assert.rejects(
    new MockActivityEnvironment().run((input: TrialInput) => real.trainTrial(input), trialInput),
    (err: unknown) => {
      assert.ok(err instanceof ApplicationFailure);
      assert.equal(err.type, 'InvalidVariant');
      assert.equal(err.nonRetryable, true);
      assert.match(err.message, /poolSize/);
      return true;
    },
  );
});

test('the Temporal UI reads like a sweep: each trial is a training activity named by its params, live details with a leaderboard', async () => {
  train = (input) => completed(input, 0.6 + input.trial / 100);
  const { result, workflowId } = await startSweep('ui', { ...grid, space: { convFilters: [8, 16], rnn: ['lstm', 'gru'], learningRate: [0.003] } });
  await result;
  const history = await env.client.workflow.getHandle(workflowId).fetchHistory();
  const { payloadConverter } = env.client.options.loadedDataConverter;
  const summaries = history.events!.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'trainTrial').map((e) => payloadConverter.fromPayload(e.userMetadata!.summary!));
  assert.deepEqual(summaries, [
    "trial 1: 8 filters, lstm, lr 3e-3 · train epochs 1-2 on the worker's backend",
    "trial 2: 8 filters, gru, lr 3e-3 · train epochs 1-2 on the worker's backend",
    "trial 3: 16 filters, lstm, lr 3e-3 · train epochs 1-2 on the worker's backend",
    "trial 4: 16 filters, gru, lr 3e-3 · train epochs 1-2 on the worker's backend",
  ]);
  const metadata = await env.client.workflow.getHandle(workflowId).query(workflowMetadataQuery);
  const details = metadata.currentDetails ?? '';
  assert.match(details, /\*\*completed\*\*: 4 of 4 trials done, 0 running, 0 failed/);
  // Top 5 (here all 4), best first: trial 4 has the highest AUC.
  assert.match(details, /\| 1 \| trial 4: 16 filters, gru, lr 3e-3 \| 0\.6400 \|/);
  assert.equal(details.match(/^\| \d \| trial/gm)?.length, 4);
  uiSweep = workflowId;
});

let uiSweep: string | undefined;

/** The page as headless Chromium renders it (Debian's chromium; .ci/run installs it). */
function renderedPage(url: string): Promise<string> {
  const profile = mkdtempSync(path.join(tmpdir(), 'chromium-'));
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage', '--no-first-run', '--window-size=1600,3000'];
  return new Promise((resolve, reject) => {
    execFile('chromium', [...flags, `--user-data-dir=${profile}`, '--virtual-time-budget=20000', '--dump-dom', url], { timeout: 90_000, maxBuffer: 64 << 20 }, (err, stdout) => {
      rmSync(profile, { recursive: true, force: true });
      if (err) reject(new Error(`chromium could not render ${url} (apt-get install chromium): ${err.message}`));
      else resolve(stdout);
    });
  });
}

test("the sweep's page in the Temporal Web UI (headless Chromium) names every trial and its training", async () => {
  const ui = process.env.TEMPORAL_UI_URL;
  assert.ok(ui, 'TEMPORAL_UI_URL is set by test/run.ts, which starts the dev server with its UI');
  assert.ok(uiSweep, 'the UI sweep ran');
  const sweep = await env.client.workflow.getHandle(uiSweep).describe();
  const page = await renderedPage(`${ui}/namespaces/default/workflows/${uiSweep}/${sweep.runId}/history`);
  const summaries = [...new Set(page.match(/trial \d: [^<"]+ · train epochs 1-2 on the worker's backend/g) ?? [])].sort();
  assert.deepEqual(
    summaries,
    [1, 2, 3, 4].map((n) => `trial ${n}: ${n <= 2 ? 8 : 16} filters, ${n % 2 ? 'lstm' : 'gru'}, lr 3e-3 · train epochs 1-2 on the worker's backend`),
  );
});
