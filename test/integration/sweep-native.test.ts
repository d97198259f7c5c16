// On the real Temporal server and PostgreSQL: a sweep with
// "training": {"backend": "tfjs-node"} runs end to end through the real CLI and workers, and every
// trial row records backend tfjs-node with the TensorFlow version its kernels came from.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeAddonStatus } from '../../src/train/backend.js';
import type { SweepReport } from '../../src/cli/report.js';
import { nativeSkip } from '../support/native.js';
import { openSweepHarness, tinyDataset, type SweepHarness } from './support/sweep-harness.js';

const native = nativeAddonStatus('tfjs-node');
const skip = nativeSkip(native.state === 'built' ? undefined : `native backend not built here (${native.reason}); .ci/run always builds it`);

let h: SweepHarness | undefined;
before(async () => {
  if (!skip) h = await openSweepHarness({ concurrency: 2 });
});
after(async () => h?.close());

test('a sweep on tfjs-node completes and records backend tfjs-node and the TensorFlow version per trial', { skip }, async () => {
  const file = h!.spec('native', {
    name: 'native',
    dataset: tinyDataset,
    model: { preset: 'danq-lite', seqLen: 60, convKernel: 9, poolSize: 4, rnnUnits: 8, denseUnits: 8 },
    training: { epochs: 2, batchSize: 32, seed: 7, backend: 'tfjs-node' },
    space: { rnn: ['lstm', 'gru'] },
    strategy: { type: 'grid' },
    maxConcurrentTrials: 2,
  });
  const { code, stdout, stderr } = await h!.sweep('start', file, '--json');
  assert.equal(code, 0, `sweep start failed: ${stderr}`);
  const report = JSON.parse(stdout) as SweepReport;
  assert.equal(report.status, 'completed');
  assert.equal(report.trials.length, 2);
  assert.ok(report.best?.valAuc !== undefined && Number.isFinite(report.best.valAuc), 'a best trial with a finite AUC');

  const rows = await h!.db.listTrials(report.sweepId);
  assert.equal(rows.length, 2);
  for (const row of rows) {
    assert.equal(row.status, 'completed', `${row.id}: ${row.failureReason}`);
    assert.equal(row.epochsTrained, 2);
    assert.equal(row.backend, 'tfjs-node');
    assert.match(row.backendVersion ?? '', /^2\.\d+\.\d+$/, `${row.id} records TensorFlow's version`);
    assert.equal(row.backendDevice, 'cpu');
    assert.equal(row.stepPath, 'compiled', `${row.id} ran the compiled step`);
  }
  assert.deepEqual(
    report.trials.map((t) => t.backend),
    ['tfjs-node', 'tfjs-node'],
  );
});
