// Contract tests for the generated Grafana dashboards (no Grafana server can run here): on a
// database filled by real sweeps, with the API requiring a bearer token, every panel target and
// every variable query of every dashboard of both plugins is sent to the live API the way the plugin
// sends it, and its fields are evaluated with the plugin's own selector code (support/grafana-plugins.ts).
// Each field must be a non-empty array with at least one non-null value, the fields of one query
// must have equal lengths, and every value must have the declared type (or be null).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { datasourceTypes, loadDashboards, pluginClients, type Frame } from './support/grafana-plugins.js';
import { openResultsApi, type ResultsApi } from './support/results-api.js';

const token = 'grafana-contract-token';
let r: ResultsApi;
before(async () => (r = await openResultsApi({ token, severalObjectives: true })));
after(async () => r?.close());

const typeChecks: Record<string, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  time: (v) => (typeof v === 'string' || typeof v === 'number') && !Number.isNaN(new Date(v).getTime()),
  timestamp: (v) => v instanceof Date && !Number.isNaN(v.getTime()),
};

function assertFrame(what: string, frame: Frame): void {
  assert.ok(frame.fields.length > 0, `${what}: has fields`);
  for (const f of frame.fields) {
    assert.ok(Array.isArray(f.values) && f.values.length > 0, `${what}: field '${f.name}' is a non-empty array`);
    assert.ok(
      f.values.some((v) => v !== null && v !== ''),
      `${what}: field '${f.name}' has a value`,
    );
    const check = typeChecks[f.type];
    assert.ok(check, `${what}: field '${f.name}' declares a type (${f.type})`);
    for (const v of f.values) assert.ok(v === null || check(v), `${what}: field '${f.name}' value ${JSON.stringify(v)} is a ${f.type}`);
  }
  assert.equal(new Set(frame.fields.map((f) => f.values.length)).size, 1, `${what}: fields have equal lengths (${frame.fields.map((f) => `${f.name}=${f.values.length}`).join(', ')})`);
}

const { runners, getJson } = pluginClients(() => r.api.url, token);

for (const plugin of ['json-api', 'infinity'] as const) {
  describe(`${plugin} dashboards against the live API`, () => {
    for (const { file, d } of loadDashboards(plugin)) {
      it(`${file}: every variable and every panel target yields typed, non-empty, equal-length fields, for each sweep`, async () => {
        const run = runners[plugin];
        const fixed = { __from: '0', __to: String(Date.now() + 3_600_000) };
        // Variables in order, each from its own query (a variable may use the ones before it); `chosen` picks a value instead of the first.
        const resolve = async (chosen: Record<string, string>): Promise<Record<string, string[]>> => {
          const values: Record<string, string[]> = {};
          for (const v of d.templating.list) {
            assert.equal(v.datasource.type, datasourceTypes[plugin]);
            const vars = { ...fixed, ...Object.fromEntries(Object.entries(values).map(([k, vs]) => [k, vs[0]!])) };
            const target = plugin === 'json-api' ? v.query : (assert.equal(v.query.queryType, 'infinity'), v.query.infinityQuery);
            const { frame } = await run(target, vars);
            assertFrame(`${file} variable ${v.name}`, frame);
            values[v.name] = frame.fields[0]!.values.map(String);
            if (chosen[v.name] !== undefined) {
              assert.ok(values[v.name]!.includes(chosen[v.name]!), `${v.name} offers ${chosen[v.name]}`);
              values[v.name] = [chosen[v.name]!];
            }
          }
          return values;
        };
        const sweeps = (await resolve({})).sweep;
        if (sweeps) assert.deepEqual(sweeps, [r.severalObjectives!.sweepId, r.report.sweepId], 'the sweep picker lists the real sweeps, newest first');
        let requests = 0;
        for (const sweep of sweeps ?? [undefined]) {
          const values = await resolve(sweep === undefined ? {} : { sweep });
          for (const panel of d.panels) {
            assert.ok(panel.targets.length > 0, `${panel.title} has a target`);
            // A repeated panel is one panel per value of its variable.
            const repeatValues = panel.repeat ? values[panel.repeat]! : [undefined];
            for (const repeatValue of repeatValues) {
              const vars: Record<string, string> = { ...fixed, ...Object.fromEntries(Object.entries(values).map(([k, vs]) => [k, vs[0]!])) };
              if (panel.repeat) vars[panel.repeat] = repeatValue!;
              for (const target of panel.targets) {
                assert.equal(target.datasource.type, datasourceTypes[plugin]);
                const { url, frame } = await run(target, vars);
                const what = `${file} panel '${panel.title}'${repeatValue ? ` (${panel.repeat}=${repeatValue})` : ''} ${url}`;
                // The Pareto panel of a sweep with one objective and no constraints: no data, harmlessly.
                if (sweep === r.report.sweepId && url.includes('/pareto')) {
                  assert.ok(frame.fields.length > 0 && frame.fields.every((f) => Array.isArray(f.values) && f.values.length === 0), `${what}: no rows`);
                } else {
                  assertFrame(what, frame);
                }
                requests++;
              }
            }
          }
        }
        assert.ok(requests >= d.panels.length);
      });
    }
  });
}

describe('the contract check can fail', () => {
  it('renaming one API field (bestValAuc -> bestAuc in /best-so-far) breaks both plugins', async () => {
    const renamed = async (url: string, headers: Record<string, string>) => {
      const json = await getJson(url, headers);
      return JSON.parse(JSON.stringify(json).replaceAll('"bestValAuc"', '"bestAuc"'));
    };
    const vars = { sweep: r.report.sweepId };
    for (const plugin of ['json-api', 'infinity'] as const) {
      const { d } = loadDashboards(plugin).find((x) => x.file.endsWith('sweep-overview.json'))!;
      const target = d.panels.find((p: { title: string }) => p.title === 'Best val ROC AUC so far').targets[0];
      assertFrame(plugin, (await runners[plugin](target, vars)).frame);
      await assert.rejects(async () => assertFrame(plugin, (await runners[plugin](target, vars, renamed)).frame), /best val ROC AUC|bestValAuc/);
    }
  });

  it('the token is enforced for the plugins too: a request without it is a 401', async () => {
    const { status } = await r.get('/sweeps');
    assert.equal(status, 401);
  });
});

describe('PostgreSQL data source role', () => {
  it('sweep_grafana (created by the migrations) can read the results and cannot write them', async () => {
    const { default: postgres } = await import('postgres');
    const admin = postgres(r.harness.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
    const password = `pw-${Date.now()}`;
    try {
      await admin.unsafe(`alter role sweep_grafana login password '${password}'`);
      const url = new URL(r.harness.env.DATABASE_URL!);
      url.username = 'sweep_grafana';
      url.password = password;
      const ro = postgres(url.toString(), { max: 1, onnotice: () => {} });
      try {
        const [row] = await ro`select count(*)::int as n from trials`;
        assert.equal(row!.n, r.report.trials.length + r.severalObjectives!.trials.length);
        await assert.rejects(ro`delete from trials`, (err: { code?: string }) => err.code === '42501');
      } finally {
        await ro.end();
      }
    } finally {
      await admin.unsafe('alter role sweep_grafana nologin password null');
      await admin.end();
    }
  });
});
