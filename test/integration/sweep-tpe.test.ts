// On the real Temporal server and PostgreSQL: TPE sweeps (alone and as ASHA's sampler) run
// through the real CLI and workers; each trial trains the params TPE chose at run time.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseSpec } from '../../src/sweep-spec/load.js';
import { planTrials } from '../../src/sweep-spec/plan.js';
import type { SweepReport } from '../../src/cli/report.js';
import { openSweepHarness, tinyDataset, type SweepHarness } from './support/sweep-harness.js';

let h: SweepHarness;
before(async () => (h = await openSweepHarness({ concurrency: 2 })));
after(async () => h?.close());

const model = { preset: 'danq-lite', seqLen: 60, convKernel: 9, poolSize: 4, rnnUnits: 8, denseUnits: 8 };
// 1e30 diverges (NonFiniteLossError): TPE must record those trials as failures and go on.
const space = { convFilters: [4, 8], rnn: ['lstm', 'gru'], learningRate: [0.003, 0.01, 1e30] };

async function runSweep(name: string, spec: Record<string, unknown>): Promise<{ report: SweepReport; file: string }> {
  const file = h.spec(name, { name, dataset: tinyDataset, model, space, maxConcurrentTrials: 2, ...spec });
  const { code, stdout, stderr } = await h.sweep('start', file, '--json');
  assert.equal(code, 0, `sweep start failed: ${stderr}`);
  return { report: JSON.parse(stdout) as SweepReport, file };
}

test('tpe sweep: trials train the params TPE chose, no configuration twice, failures recorded, best exported', async () => {
  const { report, file } = await runSweep('tpe', { strategy: { type: 'tpe', trials: 7, startupTrials: 3, seed: 2 }, training: { epochs: 1, batchSize: 32, seed: 7 } });
  assert.equal(report.status, 'completed');
  assert.equal(report.trials.length, 7);
  const keys = report.trials.map((t) => JSON.stringify([t.params.convFilters, t.params.rnn, t.params.learningRate]));
  assert.equal(new Set(keys).size, 7, `no duplicate configuration: ${keys.join(' ')}`);
  for (const t of report.trials) {
    const row = await h.db.getTrial(t.trialId);
    // The trained variant is the chosen params on top of the model, not the plan's draw.
    assert.equal(row?.variant.learningRate, t.params.learningRate);
    assert.equal(row?.variant.rnn, t.params.rnn);
    assert.equal(row?.variant.convFilters, t.params.convFilters);
    assert.equal(t.status, t.params.learningRate === 1e30 ? 'failed' : 'completed', `${t.trialId} ${JSON.stringify(t.params)}`);
  }
  // After the startup trials, TPE's params differ from what random search would have drawn.
  const plan = planTrials(parseSpec(JSON.parse(readFileSync(file, 'utf8')), file));
  assert.ok(
    report.trials.some((t, i) => JSON.stringify(t.params) !== JSON.stringify(plan[i]!.params)),
    'TPE chose params at run time',
  );
  const maxAuc = Math.max(...report.trials.map((t) => t.valAuc ?? -Infinity));
  assert.equal(report.best?.valAuc, maxAuc);
  assert.ok(report.best?.modelPath && existsSync(path.join(report.best.modelPath, 'model.json')), 'best model exported');
});

test('asha with sampler tpe: new trials from TPE, promotions resume the same trial', async () => {
  const { report } = await runSweep('asha-tpe', {
    strategy: { type: 'asha', sampler: 'tpe', trials: 6, startupTrials: 2, minEpochs: 1, maxEpochs: 2, reductionFactor: 2, seed: 4 },
    training: { batchSize: 32, seed: 7 },
  });
  assert.equal(report.status, 'completed');
  assert.equal(report.trials.length, 6);
  assert.ok(
    report.trials.some((t) => t.epochs === 2),
    'some trial was promoted and resumed to the last rung',
  );
  for (const t of report.trials) {
    const row = await h.db.getTrial(t.trialId);
    assert.equal(row?.variant.learningRate, t.params.learningRate);
  }
});
