// Several objectives and a constraint on the real Temporal server and PostgreSQL, through the real
// CLI: a TPE sweep trading val AUC against parameters completes; its Pareto ranks and feasibility
// agree between `sweep status --json`, the API and the workflow's best model; a front member exports.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { buildApi } from '../../src/api/index.js';
import { openReadSource } from '../../src/db/read-model.js';
import type { SweepReport } from '../../src/cli/report.js';
import { openSweepHarness, tinyDataset, type SweepHarness } from './support/sweep-harness.js';

let h: SweepHarness;
before(async () => (h = await openSweepHarness({ concurrency: 2 })));
after(async () => h?.close());

const model = { preset: 'danq-lite', seqLen: 60, convKernel: 9, poolSize: 4, denseUnits: 8 };
// rnnUnits 4 or 16 changes the parameter count by thousands: the constraint cuts between them.
const space = { convFilters: [4, 8], rnnUnits: [4, 16], learningRate: [0.003, 0.01] };
const several = {
  model,
  dataset: tinyDataset,
  space,
  training: { epochs: 1, batchSize: 32, seed: 7 },
  objectives: [{ metric: 'val_auc' }, { metric: 'params' }],
  constraints: [{ metric: 'params', max: 2500 }],
  maxConcurrentTrials: 2,
};
/** The first test's sweep, which the second warm-starts from. */
let firstSweep: SweepReport | undefined;

test('a two-objective TPE sweep with a constraint: the same front and feasibility in the CLI, the API and the best model', async () => {
  const file = h.spec('mo', { name: 'mo', ...several, strategy: { type: 'tpe', trials: 5, startupTrials: 2, seed: 3 }, enqueue: [{ convFilters: 8, rnnUnits: 16, learningRate: 0.01 }] });
  const started = await h.sweep('start', file, '--json');
  assert.equal(started.code, 0, `sweep start failed: ${started.stderr}`);
  const report = JSON.parse(started.stdout) as SweepReport;
  firstSweep = report;
  assert.equal(report.status, 'completed');
  assert.equal(report.ranked, true);
  assert.equal(report.trials.length, 5);
  // The enqueued configuration runs first.
  const first = report.trials.find((t) => t.trialId.endsWith('-trial-1'))!;
  assert.deepEqual(first.params, { convFilters: 8, rnnUnits: 16, learningRate: 0.01 });

  for (const t of report.trials) {
    assert.equal(t.status, 'completed');
    assert.ok(t.paramCount! > 0 && t.inferenceMsPer1k! > 0 && t.trainSeconds! > 0, `${t.trialId} measured: ${JSON.stringify(t)}`);
    assert.equal(t.feasible, t.paramCount! <= 2500, `${t.trialId} with ${t.paramCount} params`);
  }
  assert.ok(
    report.trials.some((t) => t.feasible === false),
    'the enqueued trial breaks the constraint',
  );
  // Hand check of the ranks: a feasible trial is on the front when no other feasible trial is at least as good in both objectives and better in one.
  const feasible = report.trials.filter((t) => t.feasible);
  const dominated = (a: (typeof feasible)[number]) => feasible.some((b) => b.valAuc! >= a.valAuc! && b.paramCount! <= a.paramCount! && (b.valAuc! > a.valAuc! || b.paramCount! < a.paramCount!));
  for (const t of feasible) assert.equal(t.paretoRank === 1, !dominated(t), `${t.trialId} rank ${t.paretoRank}`);
  const lowestFeasibleRank = Math.max(...feasible.map((t) => t.paretoRank!));
  for (const t of report.trials.filter((x) => x.feasible === false)) assert.ok(t.paretoRank! > lowestFeasibleRank, 'infeasible trials rank below every feasible one');
  // The best model: the front's member with the highest val AUC, exported by the workflow.
  const front = report.trials.filter((t) => t.paretoRank === 1);
  const bestOfFront = front.reduce((a, b) => (b.valAuc! > a.valAuc! ? b : a));
  assert.equal(report.best?.trialId, bestOfFront.trialId);
  assert.equal(report.trials[0]!.trialId, bestOfFront.trialId, 'the leaderboard starts with the best model');
  assert.ok(report.best?.modelPath && existsSync(path.join(report.best.modelPath, 'model.json')));

  // The API says the same.
  const read = await openReadSource(h.env.DATABASE_URL!);
  const app = await buildApi({ read, version: 'test', log: () => {} });
  try {
    const trials = (await app.inject({ method: 'GET', url: `/sweeps/${report.sweepId}/trials` })).json<{ trials: { trialId: string; paretoRank: number | null; feasible: boolean | null }[] }>();
    for (const t of report.trials) {
      const api = trials.trials.find((x) => x.trialId === t.trialId)!;
      assert.deepEqual([api.paretoRank, api.feasible], [t.paretoRank, t.feasible], t.trialId);
    }
    const pareto = (await app.inject({ method: 'GET', url: `/sweeps/${report.sweepId}/pareto` })).json<{ objectives: unknown; trials: { trialId: string }[] }>();
    assert.deepEqual(pareto.objectives, [
      { metric: 'val_auc', mode: 'max' },
      { metric: 'params', mode: 'min' },
    ]);
    assert.deepEqual(
      pareto.trials.map((t) => t.trialId),
      front.map((t) => t.trialId),
    );
  } finally {
    await app.close();
    await read.close();
  }

  // Every front member can be exported.
  const other = front.find((t) => t.trialId !== bestOfFront.trialId) ?? bestOfFront;
  const number = other.trialId.slice(other.trialId.lastIndexOf('-') + 1);
  const exported = await h.sweep('export', report.sweepId, '--trial', number, '--json');
  assert.equal(exported.code, 0, exported.stderr);
  const { modelPath } = JSON.parse(exported.stdout) as { modelPath: string };
  assert.ok(existsSync(path.join(modelPath, 'model.json')), `${modelPath}/model.json`);
  const missing = await h.sweep('export', report.sweepId, '--trial', '99');
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--trial: sweep-mo-\w+ has no trial 99/);
});

test('sweep report draws the Pareto scatter: every measured trial a point, the front joined, infeasible trials apart; the leaderboard shows rank and feasibility', async () => {
  assert.ok(firstSweep, 'the first test ran');
  const file = path.join(h.dir, 'mo-report.html');
  const r = await h.sweep('report', firstSweep.sweepId, '--out', file);
  assert.equal(r.code, 0, r.stderr);
  const html = readFileSync(file, 'utf8');
  const specs = JSON.parse(html.match(/<script type="application\/json" id="chart-specs">(.*?)<\/script>/s)![1]!) as {
    id: string;
    spec: { layer: { data: { values: Record<string, unknown>[] } }[] };
  }[];
  const scatter = specs.find((s) => s.id === 'chart-pareto');
  assert.ok(scatter, `a Pareto scatter among ${specs.map((s) => s.id).join(', ')}`);
  const [line, dots] = scatter.spec.layer.map((l) => l.data.values);
  const expected = firstSweep.trials.map((t) => ({
    trial: `trial-${t.trialId.slice(t.trialId.lastIndexOf('-') + 1)}`,
    x: t.paramCount,
    y: t.valAuc,
    group: t.feasible === false ? 'infeasible' : t.paretoRank === 1 ? 'front' : 'dominated',
  }));
  const sortByTrial = (a: { trial: unknown }, b: { trial: unknown }) => String(a.trial).localeCompare(String(b.trial));
  assert.deepEqual(dots!.map((d) => ({ trial: d.trial, x: d.x, y: d.y, group: d.group })).sort(sortByTrial), expected.sort(sortByTrial));
  const front = firstSweep.trials.filter((t) => t.paretoRank === 1);
  assert.deepEqual(
    line!.map((d) => d.x),
    front.map((t) => t.paramCount).sort((a, b) => a! - b!),
    'the front is joined from the fewest parameters up',
  );

  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--no-first-run'] });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.route('**/*', (route) => (route.request().url().startsWith('file:') ? route.continue() : route.abort()));
    await page.goto(`file://${file}`);
    await page.waitForFunction(() => document.querySelectorAll('#chart-pareto svg .mark-symbol.role-mark path').length > 0, undefined, { timeout: 20_000 });
    const drawn = await page.$$eval('#chart-pareto svg .mark-symbol.role-mark path', (els) => els.map((e) => e.getAttribute('fill')));
    assert.equal(drawn.length, firstSweep.trials.length, 'one point per trial');
    const infeasible = expected.filter((t) => t.group === 'infeasible').length;
    assert.equal(drawn.filter((fill) => fill === '#d6604d').length, infeasible, 'infeasible trials in their own colour');
    assert.equal(drawn.filter((fill) => fill === '#1b7837').length, expected.filter((t) => t.group === 'front').length, 'the front in its colour');
    assert.equal(await page.$$eval('#chart-pareto svg .mark-line.role-mark path', (els) => els.length), 1, 'the front joined by one line');
    // The leaderboard's Pareto rank and feasible columns say what sweep status --json says.
    const rows = await page.$$eval('table.leaderboard tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => c.textContent)));
    const [head, ...body] = rows;
    const [trialCol, rankCol, feasibleCol] = ['trial', 'Pareto rank', 'feasible'].map((name) => head!.indexOf(name));
    for (const t of firstSweep.trials) {
      const row = body.find((cells) => cells[trialCol!] === t.trialId.slice(t.trialId.lastIndexOf('-trial-') + 1))!;
      assert.deepEqual([row[rankCol!], row[feasibleCol!]], [String(t.paretoRank), t.feasible ? 'yes' : 'no'], t.trialId);
    }
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('a warm start from the first sweep never re-runs its configurations; another space is refused naming the sweep', async () => {
  assert.ok(firstSweep, 'the first test ran');
  const measured = new Set(firstSweep.trials.map((t) => JSON.stringify(t.params)));
  // 8 configurations, 5 measured: the 3 trials of the second sweep are exactly the other 3.
  const file = h.spec('mo-warm', { name: 'mo-warm', ...several, strategy: { type: 'tpe', trials: 3, startupTrials: 2, seed: 4 }, warmStart: { sweeps: [firstSweep.sweepId] } });
  const started = await h.sweep('start', file, '--json');
  assert.equal(started.code, 0, `sweep start failed: ${started.stderr}`);
  const report = JSON.parse(started.stdout) as SweepReport;
  assert.equal(report.status, 'completed');
  assert.equal(report.trials.length, 3);
  for (const t of report.trials) assert.ok(!measured.has(JSON.stringify(t.params)), `${t.trialId} re-ran ${JSON.stringify(t.params)}`);
  assert.equal(new Set(report.trials.map((t) => JSON.stringify(t.params))).size, 3);

  const other = h.spec('mo-other', { name: 'mo-other', ...several, space: { ...space, convFilters: [4, 12] }, strategy: { type: 'tpe', trials: 2 }, warmStart: { sweeps: [firstSweep.sweepId] } });
  const refused = await h.sweep('start', other, '--json');
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, new RegExp(`warmStart.sweeps\\[0\\]: ${firstSweep.sweepId} searched another space`));
  const missing = h.spec('mo-missing', { name: 'mo-missing', ...several, strategy: { type: 'tpe', trials: 2 }, warmStart: { sweeps: ['sweep-nope-000000'] } });
  const none = await h.sweep('start', missing, '--json');
  assert.equal(none.code, 2);
  assert.match(none.stderr, /warmStart.sweeps\[0\]: no sweep 'sweep-nope-000000'/);
});
