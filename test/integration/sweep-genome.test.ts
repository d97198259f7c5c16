// A genome-backed sweep on the real Temporal server and PostgreSQL: `sweep data synth-genome`
// writes a genome, peaks and spec; `sweep start` trains every trial on windows cut from it.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { SweepReport } from '../../src/cli/report.js';
import { openSweepHarness, type SweepHarness } from './support/sweep-harness.js';

let h: SweepHarness;
before(async () => (h = await openSweepHarness({ concurrency: 2 })));
after(async () => h?.close());

test('a sweep trains straight from a genome and per-task peak files, every trial on the same windows', async () => {
  const out = path.join(h.dir, 'genome');
  const made = await h.sweep('data', 'synth-genome', '--out', out, '--length', '300000', '--window', '100', '--bin', '50', '--seed', '3', '--json');
  assert.equal(made.code, 0, made.stderr);
  const specFile = path.join(out, 'spec.json');
  const spec = JSON.parse(readFileSync(specFile, 'utf8')) as { model: object };
  // Tiny model and training so that the trials take seconds.
  writeFileSync(
    specFile,
    JSON.stringify({
      ...spec,
      model: { ...spec.model, convKernel: 9, poolSize: 4, rnnUnits: 8, denseUnits: 8 },
      space: { convFilters: [4, 8] },
      training: { epochs: 2, batchSize: 32, seed: 3 },
    }),
  );
  const validated = await h.sweep('validate', specFile, '--json');
  assert.equal(validated.code, 0, validated.stderr);
  const dataset = (JSON.parse(validated.stdout) as { dataset: { fingerprint: string; tasks: string[]; train: number; valid: number; test: number } }).dataset;
  assert.deepEqual(dataset.tasks, ['motif250', 'motif11']);
  assert.ok(dataset.train > 100 && dataset.valid > 100 && dataset.test > 100, JSON.stringify(dataset));

  const started = await h.sweep('start', specFile, '--json');
  assert.equal(started.code, 0, started.stderr);
  const report = JSON.parse(started.stdout) as SweepReport;
  assert.equal(report.status, 'completed');
  assert.equal(report.trials.length, 2);
  assert.ok(report.trials.every((t) => t.status === 'completed' && t.epochs === 2));
  assert.equal(typeof report.best?.valAuc, 'number');
  const sweep = await h.db.getSweep(report.sweepId);
  assert.equal(sweep?.status, 'completed');
  assert.equal(sweep?.datasetFingerprint, dataset.fingerprint, 'the sweep trained on the windows sweep validate prepared');
});
