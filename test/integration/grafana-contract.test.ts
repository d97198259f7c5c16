// Contract tests for the generated Grafana dashboards (no Grafana server can run here): on a
// database filled by a real sweep, with the API requiring a bearer token, every panel target and
// every variable query of every dashboard of both plugins is sent to the live API the way the plugin
// sends it, and its fields are evaluated with the plugin's own selector code:
// - JSON API (grafana-json-datasource src/api.ts, datasource.ts): url = data source url + urlPath
//   (repeated slashes collapsed), params as encodeURIComponent pairs, the data source proxy adds the
//   Authorization header; each field is JSONPath({ path, json, eval: false }) from jsonpath-plus.
// - Infinity (grafana-infinity-datasource pkg/infinity/request.go GetQueryURL, ApplyBearerToken;
//   src/app/parsers/JSONParser.ts, utils.ts getValue): url = data source url + url, params added with
//   url.Values.Add, Authorization: Bearer; root_selector by JSONPath when it starts with '$' else
//   lodash get, each column lodash get(row, selector, '') then getValue(value, type). Selectors are
//   plain keys, for which the backend parser's gjson paths select the same values.
// Each field must be a non-empty array with at least one non-null value, the fields of one query
// must have equal lengths, and every value must have the declared type (or be null).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { JSONPath } from 'jsonpath-plus';
import lodash from 'lodash';
import { dashboardsDir } from '../../infra/grafana/src/generate.js';
import { openResultsApi, type ResultsApi } from './support/results-api.js';

const token = 'grafana-contract-token';
let r: ResultsApi;
before(async () => (r = await openResultsApi({ token })));
after(async () => r?.close());

type Json = any;
interface Target extends Record<string, Json> {
  refId: string;
}
interface Frame {
  fields: { name: string; type: string; values: unknown[] }[];
}

/** Grafana's templateSrv.replace for the forms the dashboards use: $name, ${name}, [[name]]. */
function interpolate(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)|\[\[(\w+)\]\]/g, (whole, a, b, c) => {
    const name = a ?? b ?? c;
    return name in vars ? vars[name]! : whole;
  });
}

async function getJson(url: string, headers: Record<string, string>): Promise<Json> {
  const response = await fetch(url, { method: 'GET', headers });
  const text = await response.text();
  assert.equal(response.status, 200, `GET ${url} -> ${response.status}: ${text}`);
  return JSON.parse(text);
}

/** What the JSON API plugin requests and how it builds its frame. */
async function runJsonApi(target: Target, vars: Record<string, string>, fetchJson = getJson): Promise<{ url: string; frame: Frame }> {
  assert.equal(target.method, 'GET');
  let url = `${r.api.url}/${interpolate(target.urlPath, vars)}`.replace(/^(https?:\/\/[^/]+)(.*)$/, (_, origin: string, rest: string) => origin + rest.replace(/[/]+/g, '/'));
  const params = (target.params as [string, string][]).filter(([k]) => k).map(([k, v]) => `${encodeURIComponent(interpolate(k, vars))}=${encodeURIComponent(interpolate(v, vars))}`);
  if (params.length) url += (url.includes('?') ? '&' : '?') + params.join('&');
  const headers = { Authorization: `Bearer ${token}`, ...Object.fromEntries((target.headers as [string, string][]).filter(([k]) => k)) };
  const json = await fetchJson(url, headers);
  const fields = (target.fields as { jsonPath: string; name: string; type: string }[])
    .filter((f) => f.jsonPath)
    .map((f) => ({ name: interpolate(f.name, vars), type: f.type, values: JSONPath<unknown[]>({ path: interpolate(f.jsonPath, vars), json, eval: false }) }));
  return { url, frame: { fields } };
}

/** What Infinity requests and how its JSON parser builds its columns. */
async function runInfinity(target: Target, vars: Record<string, string>, fetchJson = getJson): Promise<{ url: string; frame: Frame }> {
  assert.equal(target.type, 'json');
  assert.equal(target.source, 'url');
  assert.equal(target.url_options.method, 'GET');
  const query = interpolate(target.url, vars);
  const u = new URL(query.startsWith(r.api.url) ? query : r.api.url + query);
  for (const p of target.url_options.params as { key: string; value: string }[]) u.searchParams.append(p.key, interpolate(p.value, vars));
  const json = await fetchJson(u.toString(), { Authorization: `Bearer ${token}` });
  const root = target.root_selector as string;
  const rows = root ? (root.startsWith('$') ? lodash.flatten(JSONPath({ path: root, json, eval: false })) : lodash.get(json, root)) : json;
  assert.ok(Array.isArray(rows), `root_selector '${root}' selects an array`);
  const fields = (target.columns as { selector: string; text: string; type: string }[]).map((c) => {
    assert.match(c.selector, /^[A-Za-z_]\w*$/, 'a plain key: the frontend (lodash) and backend (gjson) parsers agree on it');
    return {
      name: interpolate(c.text, vars),
      type: c.type,
      values: rows.map((row) => {
        assert.ok(lodash.has(row, c.selector), `every row has '${c.selector}'`);
        return getValue(lodash.get(row, c.selector, ''), c.type);
      }),
    };
  });
  return { url: u.toString(), frame: { fields } };
}

/** Infinity's src/app/parsers/utils.ts getValue for the column types the dashboards use. */
function getValue(input: Json, type: string): Json {
  switch (type) {
    case 'string':
      return typeof input === 'number' ? String(input) : input;
    case 'number':
      if (typeof input === 'number') return input;
      if (typeof input === 'string' && input) {
        const val = parseFloat(input.trim().replace(/,/g, ''));
        return Number.isFinite(val) ? val : null;
      }
      return null;
    case 'timestamp':
      return new Date(String(input));
    default:
      throw new Error(`column type ${type} is not one the dashboards use`);
  }
}

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

function loadDashboards(plugin: string): { file: string; d: Json }[] {
  const dir = path.join(dashboardsDir, plugin);
  return readdirSync(dir).map((file) => ({ file: `${plugin}/${file}`, d: JSON.parse(readFileSync(path.join(dir, file), 'utf8')) }));
}

const runners = { 'json-api': runJsonApi, infinity: runInfinity } as const;
const datasourceTypes = { 'json-api': 'marcusolsson-json-datasource', infinity: 'yesoreyeram-infinity-datasource' } as const;

for (const plugin of ['json-api', 'infinity'] as const) {
  describe(`${plugin} dashboards against the live API`, () => {
    for (const { file, d } of loadDashboards(plugin)) {
      it(`${file}: every variable and every panel target yields typed, non-empty, equal-length fields`, async () => {
        const run = runners[plugin];
        // Variables in order, each from its own query (a variable may use the ones before it).
        const values: Record<string, string[]> = {};
        const fixed = { __from: '0', __to: String(Date.now() + 3_600_000) };
        for (const v of d.templating.list) {
          assert.equal(v.datasource.type, datasourceTypes[plugin]);
          const vars = { ...fixed, ...Object.fromEntries(Object.entries(values).map(([k, vs]) => [k, vs[0]!])) };
          const target = plugin === 'json-api' ? v.query : (assert.equal(v.query.queryType, 'infinity'), v.query.infinityQuery);
          const { frame } = await run(target, vars);
          assertFrame(`${file} variable ${v.name}`, frame);
          values[v.name] = frame.fields[0]!.values.map(String);
        }
        if (values.sweep) assert.deepEqual(values.sweep, [r.report.sweepId], 'the sweep picker lists the real sweep');
        let requests = 0;
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
              assertFrame(`${file} panel '${panel.title}'${repeatValue ? ` (${panel.repeat}=${repeatValue})` : ''} ${url}`, frame);
              requests++;
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
        assert.equal(row!.n, 4);
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
