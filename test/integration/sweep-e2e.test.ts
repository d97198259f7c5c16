// On the real Temporal server and PostgreSQL: grid, random and ASHA sweeps run to
// completion through the real CLI and workers; the database matches the workflow's result exactly.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { temporalCliPath } from '../../src/stack/temporal.js';
import { openSweepHarness, tinyDataset, type SweepHarness } from './support/sweep-harness.js';
import type { SweepReport } from '../../src/cli/report.js';

let h: SweepHarness;
before(async () => (h = await openSweepHarness({ concurrency: 2 })));
after(async () => h?.close());

const model = { preset: 'danq-lite', seqLen: 60, convKernel: 9, poolSize: 4, rnnUnits: 8, denseUnits: 8 };
const training = { epochs: 2, batchSize: 32, seed: 7 };
const space = { convFilters: [4, 8], rnn: ['lstm', 'gru'] };

async function runSweep(name: string, spec: object): Promise<SweepReport> {
  const file = h.spec(name, { name, dataset: tinyDataset, model, training, maxConcurrentTrials: 2, ...spec });
  const { code, stdout, stderr } = await h.sweep('start', file, '--json');
  assert.equal(code, 0, `sweep start failed: ${stderr}`);
  return JSON.parse(stdout) as SweepReport;
}

/** The report printed by the CLI equals what PostgreSQL holds, and the best is the max over trial rows. */
async function assertMatchesDatabase(report: SweepReport) {
  const sweep = await h.db.getSweep(report.sweepId);
  assert.equal(sweep?.status, report.status);
  const rows = await h.db.listTrials(report.sweepId);
  // The report lists trials in leaderboard order; compare them by id.
  const byId = <T extends { trialId: string }>(list: T[]) => [...list].sort((a, b) => a.trialId.localeCompare(b.trialId));
  assert.deepEqual(
    byId(
      rows.map((t) => ({
        trialId: t.id,
        params: t.params,
        status: t.status,
        valAuc: t.bestValAuc,
        paramCount: t.paramCount,
        inferenceMsPer1k: t.inferenceMsPer1k,
        trainSeconds: t.trainSeconds,
        // One objective and no constraints: no Pareto places.
        paretoRank: null,
        feasible: null,
        epochs: t.epochsTrained,
        backend: t.backend,
        failureReason: t.failureReason,
      })),
    ),
    byId(report.trials),
  );
  const maxAuc = Math.max(...rows.map((t) => t.bestValAuc ?? -Infinity));
  assert.equal(report.best?.valAuc, maxAuc);
  assert.equal(sweep?.bestTrialId, report.best?.trialId);
  for (const t of rows) {
    const epochs = await h.db.trialEpochs(t.id);
    assert.equal(epochs.length, t.epochsTrained, `${t.id}: one row per epoch`);
    assert.deepEqual(
      epochs.map((e) => e.epoch),
      [...Array(t.epochsTrained).keys()].map((i) => i + 1),
    );
    assert.ok(t.workerIdentity && t.backend, `${t.id} records its worker and backend`);
  }
  assert.ok(report.best?.modelPath && existsSync(path.join(report.best.modelPath, 'model.json')), 'best model exported');
}

test('grid sweep: every combination trains, DB rows match the result, best model exported, visible in temporal workflow list', async () => {
  const report = await runSweep('grid', { space, strategy: { type: 'grid' } });
  assert.equal(report.status, 'completed');
  assert.equal(report.trials.length, 4);
  assert.deepEqual(new Set(report.trials.map((t) => t.status)), new Set(['completed']));
  assert.ok(report.trials.every((t) => t.epochs === 2));
  await assertMatchesDatabase(report);
  const modelJson = JSON.parse(readFileSync(path.join(report.best!.modelPath!, 'model.json'), 'utf8')) as { modelTopology: unknown };
  assert.ok(modelJson.modelTopology, 'TF.js layers format');

  const listed = execFileSync(temporalCliPath(), ['workflow', 'list', '--address', h.config.temporalAddress!, '--query', `SweepId="${report.sweepId}"`, '-o', 'json'], { encoding: 'utf8' });
  const ids = (JSON.parse(listed) as { execution: { workflowId: string } }[]).map((w) => w.execution.workflowId).sort();
  // Each trial is one training activity in the sweep's own history, not a workflow of its own.
  assert.deepEqual(ids, [report.sweepId]);
});

test('random sweep: samples the space from the seed and completes', async () => {
  const report = await runSweep('random', { space: { ...space, learningRate: { logUniform: [0.001, 0.01] } }, strategy: { type: 'random', trials: 3, seed: 5 } });
  assert.equal(report.status, 'completed');
  assert.equal(report.trials.length, 3);
  for (const t of report.trials) {
    const lr = t.params.learningRate as number;
    assert.ok(lr >= 0.001 && lr <= 0.01, `learningRate ${lr} within bounds`);
  }
  await assertMatchesDatabase(report);
});

test('ASHA trains fewer epochs than grid on the same space and finds a best within 0.01 AUC', async () => {
  const wide = { convFilters: [4, 8], rnn: ['lstm', 'gru'], rnnUnits: [4, 8] };
  const common = { model: { ...model, rnnUnits: undefined }, space: wide, training: { ...training, epochs: 4 } };
  const grid = await runSweep('grid8', { ...common, strategy: { type: 'grid' } });
  const asha = await runSweep('asha8', { ...common, strategy: { type: 'asha', trials: 8, minEpochs: 1, maxEpochs: 4, reductionFactor: 2, seed: 1 } });
  const epochs = (r: SweepReport) => r.trials.reduce((n, t) => n + t.epochs, 0);
  console.log(`# grid: ${epochs(grid)} epochs, best ${grid.best?.valAuc}; ASHA: ${epochs(asha)} epochs, best ${asha.best?.valAuc}`);
  assert.ok(epochs(asha) < epochs(grid), `ASHA ${epochs(asha)} epochs < grid ${epochs(grid)}`);
  assert.ok(Math.abs(asha.best!.valAuc - grid.best!.valAuc) <= 0.01, `ASHA best ${asha.best!.valAuc} within 0.01 of grid ${grid.best!.valAuc}`);
  await assertMatchesDatabase(asha);
  // Promoted trials continued from their checkpoints: some trial trained past the first rung.
  assert.ok(asha.trials.some((t) => t.epochs > 1));
});

test('a diverging trial fails once (no retries), is recorded with its reason, and the sweep still completes', async () => {
  const report = await runSweep('diverging', { space: { learningRate: [0.003, 1e30] }, strategy: { type: 'grid' }, training: { ...training, epochs: 1 } });
  assert.equal(report.status, 'completed');
  const [good, bad] = report.trials;
  assert.equal(good!.status, 'completed');
  assert.equal(bad!.status, 'failed');
  assert.match(bad!.failureReason ?? '', /NonFiniteLossError: training loss is (NaN|infinite)/);
  assert.equal(report.best?.trialId, good!.trialId);
  const row = await h.db.getTrial(bad!.trialId);
  assert.equal(row?.attempts, 1, 'a deterministic failure is not retried');
  await assertMatchesDatabase(report);
});
