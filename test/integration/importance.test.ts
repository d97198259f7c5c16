/**
 * Parameter importance through the HTTP API and the real `sweep importance` CLI, on trials stored in
 * a real PostgreSQL: the numbers are Optuna's own for the same trials (test/fixtures/importance),
 * only completed trials count, and unknown sweeps, bad methods and too few trials get clear answers.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startApi, type RunningApi } from '../../src/api/index.js';
import { openDb, type ResultsStore } from '../../src/db/index.js';
import { openReadSource } from '../../src/db/read-model.js';
import { reportHtml } from '../../src/report/html.js';
import { loadReportData } from '../../src/report/queries.js';
import { resolveVariant } from '../../src/model/presets.js';
import type { ParamSpace, Params } from '../../src/strategy/space.js';
import { runSweepCli } from '../support/cli.js';
import { createFreshDatabase, type FreshDatabase } from './support/fresh-database.js';

interface Case {
  name: string;
  space: ParamSpace[];
  trials: { params: Params; value: number }[];
  pedAnova: Record<string, number>;
}
const fixture = JSON.parse(readFileSync(new URL('../fixtures/importance/optuna-cases.json', import.meta.url), 'utf8')) as { cases: Case[] };
const golden = fixture.cases.find((c) => c.name === 'mixed-60-max')!;

/** The spec's `space` form of a strategy SearchSpace entry. */
function specValue(p: ParamSpace): unknown {
  return p.kind === 'choice' ? p.choices : { [p.kind]: [p.low, p.high] };
}

const sweepId = 'sweep-importance-1a2b3c';
const smallSweepId = 'sweep-importance-small';
let database: FreshDatabase;
let db: ResultsStore;
let api: RunningApi;

async function addSweep(id: string, trials: { params: Params; value: number; status: 'completed' | 'early-stopped' | 'failed' }[]): Promise<void> {
  const spec = {
    name: id,
    space: Object.fromEntries(golden.space.map((p) => [p.name, specValue(p)])),
    objective: { metric: 'val_auc', mode: 'max' },
    strategy: { type: 'random', trials: trials.length },
  };
  await db.createSweep({ id, name: id, spec, datasetFingerprint: 'abc', strategy: 'random', totalTrials: trials.length, workflowId: id });
  for (const [i, t] of trials.entries()) {
    const trial = { sweepId: id, trialId: `${id}-trial-${i + 1}`, number: i + 1, params: t.params, variant: resolveVariant('danq-lite', {}) };
    await db.markTrialRunning(trial, { worker: 'w', backend: 'cpu', attempt: 1 });
    await db.finishTrial(trial.trialId, { status: t.status, epochsTrained: 1, bestEpoch: 1, bestValAuc: t.value });
  }
}

async function get(path: string): Promise<{ status: number; body: any }> {
  const response = await fetch(api.url + path);
  return { status: response.status, body: await response.json() };
}

before(async () => {
  database = await createFreshDatabase('importance');
  db = await openDb(database.url);
  // Trials that did not complete must not count: these would change every importance if they did.
  const others = golden.trials.slice(0, 6).map((t, i) => ({ params: t.params, value: 0.99 - i / 100, status: i % 2 ? ('early-stopped' as const) : ('failed' as const) }));
  await addSweep(sweepId, [...golden.trials.map((t) => ({ ...t, status: 'completed' as const })), ...others]);
  await addSweep(smallSweepId, [
    { ...golden.trials[0]!, status: 'completed' },
    { ...golden.trials[1]!, status: 'failed' },
  ]);
  api = await startApi(database.url, { host: '127.0.0.1', port: 0, version: 'test' });
});
after(async () => {
  await api?.close();
  await db?.close();
  await database?.drop();
});

function assertGolden(importances: Record<string, number>): void {
  assert.deepEqual(Object.keys(importances), Object.keys(golden.pedAnova), 'largest first, in Optuna order');
  for (const [name, expected] of Object.entries(golden.pedAnova)) assert.ok(Math.abs(importances[name]! - expected) <= 1e-6, `${name}: Optuna ${expected}, got ${importances[name]}`);
}

describe('GET /sweeps/:id/importance', () => {
  it("PED-ANOVA by default: Optuna's values from the completed trials only", async () => {
    const { status, body } = await get(`/sweeps/${sweepId}/importance`);
    assert.equal(status, 200);
    assert.equal(body.method, 'ped-anova');
    assert.deepEqual([body.metric, body.mode, body.trials], ['val_auc', 'max', golden.trials.length]);
    assertGolden(body.importances);
    assert.deepEqual(
      body.ranking.map((r: { parameter: string }) => r.parameter),
      Object.keys(golden.pedAnova),
    );
  });

  it('fANOVA on request: every parameter, summing to 1, the same most important one', async () => {
    const { status, body } = await get(`/sweeps/${sweepId}/importance?method=fanova`);
    assert.equal(status, 200);
    assert.equal(body.method, 'fanova');
    assert.deepEqual(Object.keys(body.importances).sort(), Object.keys(golden.pedAnova).sort());
    assert.ok(Math.abs(Object.values(body.importances as Record<string, number>).reduce((a, b) => a + b, 0) - 1) < 1e-9);
    assert.equal(body.ranking[0].parameter, 'learningRate');
  });

  it('400 for an unknown method, 404 for an unknown sweep, 422 naming the count for too few trials', async () => {
    const bad = await get(`/sweeps/${sweepId}/importance?method=shap`);
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /method/);
    assert.equal((await get('/sweeps/sweep-nope/importance')).status, 404);
    const few = await get(`/sweeps/${smallSweepId}/importance`);
    assert.equal(few.status, 422);
    assert.match(few.body.message, /sweep-importance-small has 1 completed trial with a val_auc; parameter importance needs at least 2/);
  });

  it('GET /sweeps/:id/parallel-coordinates: axes in importance order, every completed trial on each, and on the top two', async () => {
    const { status, body } = await get(`/sweeps/${sweepId}/parallel-coordinates`);
    assert.equal(status, 200);
    const order = Object.keys(golden.pedAnova);
    assert.deepEqual(
      body.axes.map((a: { parameter: string }) => a.parameter),
      order,
    );
    assert.equal(body.lines.length, golden.trials.length * order.length);
    const first = golden.trials[0]!;
    const line = (parameter: string) => body.lines.find((l: { trial: number; parameter: string }) => l.trial === 1 && l.parameter === parameter);
    const lr = first.params.learningRate as number;
    assert.ok(Math.abs(line('learningRate').position - Math.log(lr / 1e-4) / Math.log(1e-1 / 1e-4)) < 1e-12, 'log axis');
    assert.equal(line('rnn').position, first.params.rnn === 'lstm' ? 0 : 1);
    assert.equal(line('learningRate').objective, first.value);
    for (const l of body.lines) assert.ok(l.position >= 0 && l.position <= 1);
    assert.deepEqual(body.pair, { x: order[0], y: order[1] });
    assert.equal(body.pairPoints.length, golden.trials.length);
    assert.equal(body.pairPoints[0].x, line(order[0]!).position);
    assert.equal(body.pairPoints[0].y, line(order[1]!).position);
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await get('/openapi.json')).body;
    for (const path of ['/sweeps/{sweepId}/importance', '/sweeps/{sweepId}/parallel-coordinates']) {
      const route = doc.paths[path].get;
      assert.ok(
        route.parameters.some((p: { name: string }) => p.name === 'method'),
        path,
      );
      assert.ok(route.responses['200'] && route.responses['422'], path);
    }
  });
});

describe('sweep importance', () => {
  const env = () => ({ ...process.env, DATABASE_URL: database.url });

  it("--json prints exactly {method, importances}, Optuna's values", async () => {
    const { code, stdout, stderr } = await runSweepCli(['importance', sweepId, '--json'], { env: env() });
    assert.equal(code, 0, stderr);
    const out = JSON.parse(stdout);
    assert.deepEqual(Object.keys(out), ['method', 'importances']);
    assert.equal(out.method, 'ped-anova');
    assertGolden(out.importances);
  });

  it('a table for people, and --method fanova', async () => {
    const { code, stdout } = await runSweepCli(['importance', sweepId, '--method', 'fanova'], { env: env() });
    assert.equal(code, 0);
    assert.match(stdout, /Parameter importance of sweep-importance-1a2b3c for val_auc \(fanova, 60 completed trials\)/);
    assert.match(stdout, /learningRate\s+0\.\d{3}/);
  });

  it('exit 2 with one clear line for too few trials, an unknown sweep or method', async () => {
    for (const [args, message] of [
      [[smallSweepId], /has 1 completed trial with a val_auc; parameter importance needs at least 2/],
      [['sweep-nope'], /no sweep 'sweep-nope'/],
      [[sweepId, '--method', 'shap'], /--method: expected ped-anova or fanova, got 'shap'/],
    ] as const) {
      const { code, stderr } = await runSweepCli(['importance', ...args], { env: env() });
      assert.equal(code, 2, stderr);
      assert.match(stderr, message);
      assert.doesNotMatch(stderr, /\n\s+at /, 'no stack');
    }
  });
});

describe('sweep report', () => {
  it('has a parameter importance section (PED-ANOVA and fANOVA), the importance bars, parallel coordinates and the top pair', async () => {
    const src = await openReadSource(database.url);
    try {
      const data = await loadReportData(src, sweepId, 5);
      const html = reportHtml(data, { analysis: null, note: 'no motifs', top: 6 }, new Date());
      const table = /<table class="importance">(.*?)<\/table>/.exec(html)![1]!;
      const rows = [...table.matchAll(/<tr><td>(\w+)<\/td><td>([\d.]+)<\/td><td>([\d.]+)<\/td><\/tr>/g)];
      assert.deepEqual(
        rows.map((r) => r[1]),
        Object.keys(golden.pedAnova),
      );
      for (const r of rows) assert.equal(r[2], golden.pedAnova[r[1]!]!.toFixed(3));
      assert.match(html, /From the 60 completed trials&#39; val_auc/);
      const specs = JSON.parse(/<script type="application\/json" id="chart-specs">(.*?)<\/script>/s.exec(html)![1]!) as { id: string; spec: any }[];
      const byId = (id: string) => specs.find((s) => s.id === id)?.spec;
      assert.equal(byId('chart-importance').data.values.length, 5);
      assert.equal(byId('chart-parallel').data.values.length, 60 * 5);
      assert.deepEqual(byId('chart-parallel').encoding.x.sort, Object.keys(golden.pedAnova));
      assert.equal(byId('chart-pair').data.values.length, 60);
      assert.match(html, /val_auc over the two most important parameters: learningRate and convFilters/);

      const small = reportHtml(await loadReportData(src, smallSweepId, 5), { analysis: null, note: 'no motifs', top: 6 }, new Date());
      assert.match(small, /No parameter importance: sweep-importance-small has 1 completed trial with a val_auc; parameter importance needs at least 2\./);
      assert.doesNotMatch(small, /chart-parallel/);
    } finally {
      await src.close();
    }
  });
});
