// The committed Grafana dashboards are exactly what `npm run dashboards` generates from
// infra/grafana/src/dashboards.ts, for both plugins, and no stale file is left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { dashboardsDir, generatedFiles, plugins } from '../../infra/grafana/src/generate.js';

test('committed dashboard JSON equals the generator output (run `npm run dashboards` after editing dashboards.ts)', () => {
  const generated = generatedFiles();
  for (const [file, text] of generated) {
    const committed = path.join(dashboardsDir, file);
    assert.ok(existsSync(committed), `${file} is missing: run npm run dashboards`);
    assert.equal(readFileSync(committed, 'utf8'), text, `${file} differs from the generator: run npm run dashboards`);
  }
  const committed = plugins.flatMap((p) => readdirSync(path.join(dashboardsDir, p)).map((f) => path.join(p, f)));
  assert.deepEqual(committed.sort(), [...generated.keys()].sort(), 'no dashboard file without a definition');
});

test('both plugins get the same panels and variables, each dashboard with its own uid', () => {
  const parsed = [...generatedFiles()].map(([file, text]) => ({ file, d: JSON.parse(text) as { uid: string; panels: { title: string }[]; templating: { list: { name: string }[] } } }));
  assert.equal(new Set(parsed.map((p) => p.d.uid)).size, parsed.length);
  for (const name of ['sweep-overview', 'workers']) {
    const [a, b] = plugins.map((plugin) => parsed.find((p) => p.file === path.join(plugin, `${name}.json`))!.d);
    assert.deepEqual(
      a!.panels.map((p) => p.title),
      b!.panels.map((p) => p.title),
    );
    assert.deepEqual(
      a!.templating.list.map((v) => v.name),
      b!.templating.list.map((v) => v.name),
    );
  }
});

test('the importance panels are on the sweep overview of both plugins, reading the importance and parallel-coordinates routes', () => {
  for (const plugin of plugins) {
    const d = JSON.parse(generatedFiles().get(path.join(plugin, 'sweep-overview.json'))!) as { panels: { title: string; type: string; targets: Record<string, unknown>[] }[] };
    const pathOf = (title: string) => {
      const target = d.panels.find((p) => p.title === title)?.targets[0];
      assert.ok(target, `${plugin}: panel '${title}'`);
      return plugin === 'json-api' ? target.urlPath : target.url;
    };
    assert.equal(pathOf('Parameter importance'), '/sweeps/$sweep/importance');
    assert.equal(pathOf('Parallel coordinates (most important parameter first)'), '/sweeps/$sweep/parallel-coordinates');
    assert.equal(pathOf('Objective on the two most important parameters'), '/sweeps/$sweep/parallel-coordinates');
  }
});

test('the Pareto scatter is on the sweep overview of both plugins: every trial (query A) and the front joined over it (query B)', () => {
  for (const plugin of plugins) {
    const d = JSON.parse(generatedFiles().get(path.join(plugin, 'sweep-overview.json'))!) as { panels: { title: string; type: string; targets: Record<string, unknown>[] }[] };
    const panel = d.panels.find((p) => p.title === 'Pareto front: first objective against the second');
    assert.ok(panel, `${plugin}: the Pareto panel`);
    assert.equal(panel.type, 'xychart');
    const rows = panel.targets.map((t) => [t.refId, plugin === 'json-api' ? t.urlPath : t.url, plugin === 'json-api' ? (t.fields as { jsonPath: string }[])[0]!.jsonPath : t.root_selector]);
    assert.deepEqual(rows, [
      ['A', '/sweeps/$sweep/pareto/scatter', plugin === 'json-api' ? '$.points[*].x' : 'points'],
      ['B', '/sweeps/$sweep/pareto/scatter', plugin === 'json-api' ? '$.front[*].x' : 'front'],
    ]);
  }
});
