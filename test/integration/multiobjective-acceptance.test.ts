// Several objectives, end to end on the real Temporal server and PostgreSQL, through the real CLI: a sweep with
// two objectives and a constraint, warm-started from an earlier sweep, completes; its Pareto front,
// parameter importance and constraint (feasible) flags agree across the CLI (sweep status --json and
// its leaderboard, sweep importance --json), the API, the report and the queries of both Grafana
// dashboards (JSON API and Infinity), run the way the plugins run them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startApi, type RunningApi } from '../../src/api/index.js';
import type { SweepReport } from '../../src/cli/report.js';
import { loadDashboards, pluginClients, type Frame } from './support/grafana-plugins.js';
import { openSweepHarness, tinyDataset, type SweepHarness } from './support/sweep-harness.js';

const token = 'acceptance-token';
let h: SweepHarness;
let api: RunningApi | undefined;
before(async () => (h = await openSweepHarness({ concurrency: 2 })));
after(async () => {
  await api?.close();
  await h?.close();
});

// rnnUnits 4 or 16 changes the parameter count by thousands: the constraint cuts between them.
const MAX_PARAMS = 2500;
const several = {
  model: { preset: 'danq-lite', seqLen: 60, convKernel: 9, poolSize: 4, denseUnits: 8 },
  dataset: tinyDataset,
  space: { convFilters: [4, 8], rnnUnits: [4, 16], learningRate: [0.003, 0.01] },
  training: { epochs: 1, batchSize: 32, seed: 7 },
  objectives: [{ metric: 'val_auc' }, { metric: 'params' }],
  constraints: [{ metric: 'params', max: MAX_PARAMS }],
  maxConcurrentTrials: 2,
};

async function start(name: string, spec: Record<string, unknown>): Promise<SweepReport> {
  const started = await h.sweep('start', h.spec(name, { name, ...several, ...spec }), '--json');
  assert.equal(started.code, 0, `sweep start failed: ${started.stderr}`);
  const report = JSON.parse(started.stdout) as SweepReport;
  assert.equal(report.status, 'completed');
  return report;
}

/** The first test's earlier sweep, which the refusal test warm-starts from. */
let earlierSweepId: string | undefined;

const numberOf = (trialId: string) => Number(trialId.slice(trialId.lastIndexOf('-') + 1));
type Group = 'front' | 'dominated' | 'infeasible';
const fieldOf = (frame: Frame, name: string) => frame.fields.find((f) => f.name === name)!.values;

test('a two-objective sweep with a constraint, warm-started from an earlier one: the same front, importance and feasibility in the CLI, the API, the report and both Grafana dashboards', async () => {
  const earlier = await start('acc-earlier', {
    strategy: { type: 'tpe', trials: 3, seed: 5 },
    enqueue: [
      { convFilters: 8, rnnUnits: 4, learningRate: 0.01 },
      { convFilters: 4, rnnUnits: 4, learningRate: 0.003 },
      { convFilters: 8, rnnUnits: 16, learningRate: 0.003 },
    ],
  });
  earlierSweepId = earlier.sweepId;
  // The enqueued configuration breaks the constraint, so the sweep has an infeasible trial.
  const started = await start('acc', {
    strategy: { type: 'tpe', trials: 3, startupTrials: 1, seed: 6 },
    warmStart: { sweeps: [earlier.sweepId] },
    enqueue: [{ convFilters: 4, rnnUnits: 16, learningRate: 0.003 }],
  });
  const sweepId = started.sweepId;
  const measured = new Set(earlier.trials.map((t) => JSON.stringify(t.params)));
  for (const t of started.trials) assert.ok(!measured.has(JSON.stringify(t.params)), `${t.trialId} re-ran a configuration of the earlier sweep`);

  // The CLI: sweep status --json is the reference.
  const status = await h.sweep('status', sweepId, '--json');
  assert.equal(status.code, 0, status.stderr);
  const report = JSON.parse(status.stdout) as SweepReport;
  assert.equal(report.ranked, true);
  assert.equal(report.trials.length, 3);
  const expected = new Map(
    report.trials.map((t) => {
      assert.equal(t.status, 'completed', t.trialId);
      assert.equal(t.feasible, t.paramCount! <= MAX_PARAMS, `${t.trialId} with ${t.paramCount} parameters`);
      const group: Group = !t.feasible ? 'infeasible' : t.paretoRank === 1 ? 'front' : 'dominated';
      return [numberOf(t.trialId), { paretoRank: t.paretoRank, feasible: t.feasible, group }];
    }),
  );
  const groups = [...expected.values()].map((e) => e.group);
  assert.ok(groups.includes('infeasible') && groups.includes('front'), `front and infeasible trials: ${groups.join(', ')}`);
  const front = [...expected].filter(([, e]) => e.paretoRank === 1).map(([n]) => n);
  const order = report.trials.map((t) => numberOf(t.trialId));
  const sorted = (ns: number[]) => [...ns].sort((a, b) => a - b);

  // ... its leaderboard names the same front ...
  const board = await h.sweep('status', sweepId);
  assert.equal(board.code, 0, board.stderr);
  const frontLine = board.stdout.match(/Pareto front \(pareto 1\): ([^;]+);/);
  assert.ok(frontLine, board.stdout);
  assert.deepEqual(sorted(frontLine[1]!.split(', ').map((s) => Number(s.replace('trial-', '')))), sorted(front));

  // ... and sweep importance gives the importances everything else must repeat.
  const imp = await h.sweep('importance', sweepId, '--json');
  assert.equal(imp.code, 0, imp.stderr);
  const importance = JSON.parse(imp.stdout) as { method: string; importances: Record<string, number> };
  assert.equal(importance.method, 'ped-anova');
  assert.deepEqual(Object.keys(importance.importances).sort(), ['convFilters', 'learningRate', 'rnnUnits']);

  // The API.
  api = await startApi(h.env.DATABASE_URL!, { host: '127.0.0.1', port: 0, token, version: 'test' });
  const get = async (url: string) => {
    const response = await fetch(api!.url + url, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(response.status, 200, url);
    return await response.json();
  };
  const trials = (await get(`/sweeps/${sweepId}/trials`)).trials as { number: number; paretoRank: number; feasible: boolean }[];
  assert.deepEqual(
    new Map(trials.map((t) => [t.number, { paretoRank: t.paretoRank, feasible: t.feasible }])),
    new Map([...expected].map(([n, e]) => [n, { paretoRank: e.paretoRank, feasible: e.feasible }])),
  );
  assert.deepEqual(
    ((await get(`/sweeps/${sweepId}/leaderboard`)).trials as { number: number }[]).map((t) => t.number),
    order,
  );
  assert.deepEqual(sorted(((await get(`/sweeps/${sweepId}/pareto`)).trials as { number: number }[]).map((t) => t.number)), sorted(front));
  const scatter = await get(`/sweeps/${sweepId}/pareto/scatter`);
  assert.deepEqual(scatter.axes, { x: { metric: 'params', mode: 'min' }, y: { metric: 'val_auc', mode: 'max' } });
  assert.deepEqual(new Map((scatter.points as { trial: number; group: Group }[]).map((p) => [p.trial, p.group])), new Map([...expected].map(([n, e]) => [n, e.group])));
  assert.deepEqual(sorted((scatter.front as { trial: number }[]).map((p) => p.trial)), sorted(front));
  assert.deepEqual((await get(`/sweeps/${sweepId}/importance?method=ped-anova`)).importances, importance.importances);

  // The report.
  const file = path.join(h.dir, 'acceptance.html');
  const made = await h.sweep('report', sweepId, '--out', file);
  assert.equal(made.code, 0, made.stderr);
  const html = readFileSync(file, 'utf8');
  const specs = JSON.parse(html.match(/<script type="application\/json" id="chart-specs">(.*?)<\/script>/s)![1]!) as { id: string; spec: any }[];
  const chart = (id: string) => specs.find((s) => s.id === id)!.spec;
  const [line, dots] = chart('chart-pareto').layer.map((l: { data: { values: unknown[] } }) => l.data.values) as { trial: string | number; group: Group }[][];
  assert.deepEqual(new Map(dots!.map((d) => [Number(String(d.trial).replace('trial-', '')), d.group])), new Map([...expected].map(([n, e]) => [n, e.group])));
  assert.deepEqual(sorted(line!.map((d) => Number(d.trial))), sorted(front));
  const bars = chart('chart-importance').data.values as { parameter: string; importance: number }[];
  assert.deepEqual(Object.fromEntries(bars.map((b) => [b.parameter, b.importance])), importance.importances);
  const table = html.match(/<table class="leaderboard">(.*?)<\/table>/s)![1]!;
  const cells = [...table.matchAll(/<tr[^>]*>(.*?)<\/tr>/gs)].map((row) => [...row[1]!.matchAll(/<t[hd]>(.*?)<\/t[hd]>/g)].map((c) => c[1]!));
  const [head, ...rows] = cells;
  const col = (name: string) => head!.indexOf(name);
  assert.deepEqual(
    rows.map((r) => Number(r[col('trial')]!.replace('trial-', ''))),
    order,
    'the report ranks as the CLI does',
  );
  for (const r of rows) {
    const e = expected.get(Number(r[col('trial')]!.replace('trial-', '')))!;
    assert.deepEqual([r[col('Pareto rank')], r[col('feasible')]], [String(e.paretoRank), e.feasible ? 'yes' : 'no']);
  }
  const importanceRows = [...html.match(/<table class="importance">(.*?)<\/table>/s)![1]!.matchAll(/<tr><td>(.*?)<\/td><td>(.*?)<\/td>/g)];
  assert.deepEqual(Object.fromEntries(importanceRows.map((m) => [m[1], m[2]])), Object.fromEntries(Object.entries(importance.importances).map(([p, v]) => [p, v.toFixed(3)])));

  // Both Grafana dashboards' queries, as each plugin runs them.
  const { runners } = pluginClients(() => api!.url, token);
  for (const plugin of ['json-api', 'infinity'] as const) {
    const { d } = loadDashboards(plugin).find((x) => x.file.endsWith('sweep-overview.json'))!;
    const run = async (title: string, refId = 'A') => {
      const panel = d.panels.find((p: { title: string }) => p.title === title);
      assert.ok(panel, `${plugin}: panel '${title}'`);
      return (
        await runners[plugin](
          panel.targets.find((t: { refId: string }) => t.refId === refId),
          { sweep: sweepId },
        )
      ).frame;
    };
    const labelNumber = (label: unknown) => Number(String(label).match(/^#(\d+) /)![1]);
    const points = await run('Pareto front: first objective against the second');
    const groupsOf = fieldOf(points, 'group');
    const ranksOf = fieldOf(points, 'Pareto rank');
    const shown = fieldOf(points, 'trial').map((label, i) => [labelNumber(label), { paretoRank: ranksOf[i], group: groupsOf[i] }] as const);
    assert.deepEqual(new Map(shown), new Map([...expected].map(([n, e]) => [n, { paretoRank: e.paretoRank, group: e.group }])), `${plugin}: the Pareto panel's trials`);
    const joined = await run('Pareto front: first objective against the second', 'B');
    assert.deepEqual(sorted(fieldOf(joined, 'trial').map(labelNumber)), sorted(front), `${plugin}: the front joined`);
    const bars = await run('Parameter importance');
    assert.deepEqual(Object.fromEntries(fieldOf(bars, 'parameter').map((p, i) => [p, fieldOf(bars, 'importance')[i]])), importance.importances, `${plugin}: importance`);
    assert.deepEqual(fieldOf(await run('Leaderboard'), 'trial'), order, `${plugin}: the leaderboard's order`);
  }
});

test('a warm start from a sweep trained on another dataset: exit 2 naming the key and both fingerprints; no sweep is created', async () => {
  assert.ok(earlierSweepId, 'the first test ran');
  const before = (await h.db.listSweeps()).length;
  const file = h.spec('acc-other-data', { name: 'acc-other-data', ...several, dataset: { ...tinyDataset, seed: 4 }, strategy: { type: 'tpe', trials: 2 }, warmStart: { sweeps: [earlierSweepId] } });
  const refused = await h.sweep('start', file, '--json');
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(
    refused.stderr,
    new RegExp(`warmStart\\.sweeps\\[0\\]: ${earlierSweepId} trained on other data \\(dataset fingerprint \\w+, this sweep's is \\w+\\): warm starts need the same dataset`),
  );
  assert.equal((await h.db.listSweeps()).length, before);
});
