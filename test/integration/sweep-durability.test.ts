// Durability: a training worker that dies mid-trial loses nothing and repeats nothing. The
// train queue runs in real `sweep worker` processes; the first is SIGKILLed (with its training
// child) after a few epochs, Temporal's heartbeat timeout retries the activity on a second worker,
// and the retry resumes from the checkpoint in SWEEP_ARTIFACTS, bit-identical to an unbroken run.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { runSweepCli } from '../support/cli.js';
import { trainingStarts } from '../support/sweep-history.js';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process.js';
import { writeResumeSpec } from './support/resume-spec.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, type Config } from '../../src/config/index.js';
import { openTestDb, type EpochRow, type TestResultsStore } from '../support/results-store.js';
import { prepareSweep } from '../../src/cli/prepare.js';
import { runTraining } from '../../src/train/runner.js';
import { startWorkers, type WorkerPool } from '../../workers/index.js';
import { createFreshDatabase, type FreshDatabase } from './support/fresh-database.js';
import { until } from './support/until.js';

const EPOCHS = 12;

let database: FreshDatabase;
let dir: string;
let env: NodeJS.ProcessEnv;
let config: Config;
let db: TestResultsStore;
let orchestration: WorkerPool;
let connection: Connection;
let client: Client;
const trainWorkers: WorkerProcess[] = [];

before(async () => {
  database = await createFreshDatabase('durability');
  dir = mkdtempSync(path.join(tmpdir(), 'sweep-durability-'));
  const suffix = randomBytes(4).toString('hex');
  env = {
    ...process.env,
    DATABASE_URL: database.url,
    SWEEP_HOME: path.join(dir, 'home'),
    SWEEP_QUEUE: `sweep-${suffix}`,
    SWEEP_TRAIN_QUEUE: `sweep-train-${suffix}`,
  };
  config = loadConfig(env);
  db = await openTestDb(database.url);
  // Workflows and DB activities in this process; training only in the worker processes below.
  orchestration = await startWorkers({ config, temporalAddress: config.temporalAddress!, databaseUrl: database.url, queues: ['orchestration'], concurrency: 1, backend: 'auto' });
  connection = await Connection.connect({ address: config.temporalAddress! });
  client = new Client({ connection, namespace: config.namespace });
});

after(async () => {
  for (const worker of trainWorkers) worker.kill('SIGKILL', { group: true });
  await orchestration?.shutdown();
  await connection?.close();
  await db?.close();
  await database?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const sweep = (...args: string[]) => runSweepCli(args, { env, cwd: dir });

/** A `sweep worker --queue train` process; a SIGKILL to its group also takes its training child. */
async function trainWorker(): Promise<WorkerProcess> {
  const worker = await startWorkerProcess({ env, cwd: dir, queue: 'train', concurrency: 1 });
  trainWorkers.push(worker);
  return worker;
}

const metricsOf = (rows: readonly { epoch: number; trainLoss: number; valLoss: number; valAuc: number; valPrAuc: number }[]) =>
  rows.map(({ epoch, trainLoss, valLoss, valAuc, valPrAuc }) => ({ epoch, trainLoss, valLoss, valAuc, valPrAuc }));

test('a SIGKILLed training worker: the trial resumes from its checkpoint on another worker, no epoch lost or trained twice', async () => {
  const file = writeResumeSpec(dir, 'durable', EPOCHS);
  const first = await trainWorker();
  const started = await sweep('start', file, '--detach', '--json');
  assert.equal(started.code, 0, started.stderr);
  const { sweepId } = JSON.parse(started.stdout) as { sweepId: string };
  const trialId = `${sweepId}-trial-1`;

  await until('two recorded epochs', async () => ((await db.trialEpochs(trialId).catch(() => [])).length >= 2 ? true : undefined));
  first.kill('SIGKILL', { group: true });
  await first.exited;
  const beforeKill: EpochRow[] = await db.trialEpochs(trialId);
  const k = beforeKill.length;
  assert.ok(k >= 2 && k < EPOCHS, `killed after ${k} of ${EPOCHS} epochs, mid-trial`);
  assert.ok(beforeKill.every((e) => e.workerIdentity === first.identity));
  assert.equal((await db.getTrial(trialId))?.status, 'running');

  const second = await trainWorker();
  assert.notEqual(second.identity, first.identity);

  // While Temporal waits out the heartbeat timeout, train the same variant without interruption.
  const { trials, dataset } = await prepareSweep(file, config);
  const reference = await runTraining({ variant: trials[0]!.variant, dataset, backend: 'auto', untilEpoch: EPOCHS, checkpointDir: path.join(dir, 'reference-checkpoint') });

  const result = (await client.workflow.getHandle(sweepId).result()) as { status: string; counts: Record<string, number> };
  assert.equal(result.status, 'completed');
  assert.equal(result.counts.completed, 1);

  const trial = await db.getTrial(trialId);
  assert.equal(trial?.status, 'completed');
  assert.equal(trial?.attempts, 2, 'one retry, after the heartbeat timeout');
  assert.equal(trial?.epochsTrained, EPOCHS);
  assert.equal(trial?.workerIdentity, second.identity);

  const rows = await db.trialEpochs(trialId);
  assert.deepEqual(
    rows.map((e) => e.epoch),
    Array.from({ length: EPOCHS }, (_, i) => i + 1),
    'one row per epoch, no gap, no duplicate',
  );
  // Epochs trained before the kill were not trained again: their rows are untouched (worker,
  // wall-clock seconds, time recorded); every later epoch was trained by the second worker.
  assert.deepEqual(rows.slice(0, k), beforeKill, 'rows written before the kill are unchanged');
  assert.deepEqual(
    rows.slice(k).map((e) => e.workerIdentity),
    Array(EPOCHS - k).fill(second.identity),
  );

  // The retry's history in Temporal: attempt 2 started after a heartbeat timeout whose last
  // heartbeat reported an epoch past the first.
  const trainStart = (await trainingStarts(client, sweepId, trialId)).find((a) => a.attempt === 2);
  assert.ok(trainStart, 'the training activity started a second attempt');
  assert.match(JSON.stringify(trainStart.lastFailure), /HEARTBEAT|heartbeat/i);

  // Resumed training is bit-identical to the unbroken reference run (same seed, same backend).
  assert.equal(reference.status, 'completed');
  assert.deepEqual(metricsOf(rows), metricsOf(reference.epochs));
  assert.equal(trial?.bestValAuc, reference.bestValAuc);
  assert.equal(trial?.bestEpoch, reference.bestEpoch);

  second.kill('SIGTERM', { group: true });
  await second.exited;
});
