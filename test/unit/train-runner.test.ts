/**
 * runTraining: training in a child process on a dataset prepared by src/data, progress streamed
 * back while the parent's event loop stays free, cooperative abort, structured errors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { prepareDataset } from '../../src/data/index.js';
import type { DatasetManifest } from '../../src/data/types.js';
import { isPermanentErrorType } from '../../src/domain/permanent-errors.js';
import { isUserError } from '../../src/errors.js';
import type { VariantConfig } from '../../src/model/config.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { pollUntil } from '../../src/poll.js';
import { runTraining, TrainingError, TrainingProcessPool } from '../../src/train/runner.js';
import type { EpochMetrics, TrainRequest } from '../../src/train/types.js';
import { tinyVariant } from './train-helpers.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'danq-runner-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;
const freshDir = () => path.join(scratch, `run-${++dirs}`);

let dataset: DatasetManifest;
before(async () => {
  dataset = await prepareDataset({ format: 'synthetic', samples: 400, seed: 3, validFraction: 0.25 }, { seqLen: tinyVariant().seqLen, baseDir: scratch, cacheDir: path.join(scratch, 'cache') });
});

function request(variant: VariantConfig, overrides: Partial<TrainRequest> = {}): TrainRequest {
  return { variant, dataset, backend: 'wasm', untilEpoch: variant.epochs, checkpointDir: freshDir(), ...overrides };
}

test('trains in a child process, streams start and epochs in order, and leaves the event loop free', async () => {
  const v = tinyVariant({ epochs: 3 });
  const started: unknown[] = [];
  const epochs: EpochMetrics[] = [];
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const result = await runTraining(request(v), {
    onStart: (info) => void started.push(info),
    onEpoch: async (metrics) => {
      epochs.push(metrics);
      // Slow consumers are waited for, in order.
      await new Promise((resolve) => setTimeout(resolve, 20));
    },
  });
  clearInterval(timer);
  assert.equal(result.status, 'completed');
  // The child reports which library's kernels run, for the trial's row.
  assert.deepEqual(started, [{ backend: 'wasm', paramCount: result.params, runtime: { backend: 'wasm', library: 'tfjs-backend-wasm', version: tf.version_core, device: 'cpu', stepPath: 'eager' } }]);
  assert.deepEqual(
    epochs.map((e) => e.epoch),
    [1, 2, 3],
  );
  assert.deepEqual(result.epochs, epochs);
  assert.ok(ticks > 3, `parent timer ticked ${ticks} times during training`);
  // Where the trial's time went, measured in the child: every phase, none negative, and the work itself timed.
  for (const [phase, ms] of Object.entries(result.phaseMs)) assert.ok(Number.isFinite(ms) && ms >= 0, `${phase}: ${ms} ms`);
  assert.ok(result.phaseMs.firstStep > 0 && result.phaseMs.batches > 0 && result.phaseMs.validation > 0 && result.phaseMs.checkpointWrite > 0, JSON.stringify(result.phaseMs));
});

test('an abort stops the child between batches: status cancelled, last checkpoint kept', async () => {
  const v = tinyVariant({ epochs: 50 });
  const controller = new AbortController();
  const req = request(v);
  const result = await runTraining(req, { signal: controller.signal, onEpoch: () => controller.abort() });
  assert.equal(result.status, 'cancelled');
  // Normally 1; the child may finish another short epoch before the cancel message lands.
  assert.ok(result.epochs.length >= 1 && result.epochs.length < v.epochs);
  assert.equal((await readCheckpoint(req.checkpointDir))!.epoch, result.epochs.length);
});

test('a child that does not stop within the grace period is killed: AbortError', async () => {
  const controller = new AbortController();
  const running = runTraining(request(tinyVariant()), { signal: controller.signal, killAfterMs: 0 });
  // The child is still starting up: it cannot answer the cancel within 0 ms.
  controller.abort();
  await assert.rejects(running, (err: unknown) => {
    assert.ok(err instanceof TrainingError);
    assert.equal(err.name, 'AbortError');
    assert.match(err.message, /did not stop within 0 ms of the abort and was killed/);
    return true;
  });
});

test('an invalid variant rejects with the UserError naming the parameter', async () => {
  const v = tinyVariant({ poolSize: 60, poolStride: 60 });
  await assert.rejects(runTraining(request(v)), (err: unknown) => {
    assert.ok(isUserError(err));
    assert.match(err.message, /poolSize 60 exceeds the conv output length 43/);
    return true;
  });
});

test('a diverging run rejects with a NonFiniteLossError, a permanent error', async () => {
  const v = tinyVariant({ learningRate: 1e38, optimizer: 'rmsprop' });
  await assert.rejects(runTraining(request(v)), (err: unknown) => {
    assert.ok(err instanceof TrainingError);
    assert.equal(err.name, 'NonFiniteLossError');
    assert.ok(isPermanentErrorType(err.name));
    return true;
  });
});

test('an already aborted signal starts nothing', async () => {
  await assert.rejects(runTraining(request(tinyVariant()), { signal: AbortSignal.abort() }), { name: 'AbortError' });
});

test('one warm process per slot, reused by the next trials; a failed trial retires its process', async () => {
  const pool = new TrainingProcessPool();
  after(() => pool.stop());
  pool.keepWarm(2);
  const v = tinyVariant({ epochs: 1 });
  // Two slots at once, then two more: the four trials run on the same two processes.
  for (let round = 0; round < 2; round++) {
    const results = await Promise.all([pool.run(request(v)), pool.run(request(v))]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['completed', 'completed'],
    );
  }
  assert.equal(pool.forked, 2, `forked ${pool.forked} processes for 4 trials on 2 slots`);
  await assert.rejects(pool.run(request(tinyVariant({ learningRate: 1e38, optimizer: 'rmsprop' }))), { name: 'NonFiniteLossError' });
  assert.equal(pool.forked, 3, 'the failed process is replaced by a fresh one');
  // A reused process trains from its own checkpoint dir like a fresh one: same result for the same request.
  const req = request(v);
  const [a, b] = [await pool.run(req), await pool.run({ ...req, checkpointDir: freshDir() })];
  assert.deepEqual(
    b.epochs.map((e) => e.valAuc),
    a.epochs.map((e) => e.valAuc),
    'a reused process is deterministic',
  );
});

const warmed = (pool: TrainingProcessPool, count: number) =>
  pollUntil(() => pool.warm === count || undefined, { timeoutMs: 60_000, intervalMs: 20, timeoutError: () => new Error(`${pool.warm} of ${count} training processes warm`) });

test("a warm process has its backend loaded before the first trial, which runs on it; a killed trial's process is replaced by a fresh warm one", async () => {
  const pool = new TrainingProcessPool();
  after(() => pool.stop());
  pool.keepWarm(1, 'wasm');
  await warmed(pool, 1);
  const first = await pool.run(request(tinyVariant({ epochs: 1 })));
  assert.equal(first.backend, 'wasm');
  assert.equal(pool.forked, 1, 'the trial ran on the warm process');
  // Killed at once when the trial has started: whether the child's cancel or the kill lands first, the process is not reused.
  const controller = new AbortController();
  const killed = pool.run(request(tinyVariant({ epochs: 50 })), { signal: controller.signal, killAfterMs: 0, onStart: () => controller.abort() });
  await killed.then(
    (result) => assert.equal(result.status, 'cancelled'),
    (err: unknown) => assert.equal((err as Error).name, 'AbortError'),
  );
  assert.equal(pool.forked, 2, 'a fresh process replaces the stopped one');
  await warmed(pool, 1);
  // A request for another backend than the warm one loaded does not run on it.
  await pool.run(request(tinyVariant({ epochs: 1 }), { backend: 'cpu' }));
  assert.equal(pool.forked, 3);
});

test('a process is replaced after its trial budget, so slow leaks stay bounded', async () => {
  const pool = new TrainingProcessPool(2);
  after(() => pool.stop());
  const v = tinyVariant({ epochs: 1 });
  for (let i = 0; i < 3; i++) await pool.run(request(v));
  assert.equal(pool.forked, 2, 'two trials on the first process, the third on its replacement');
});
