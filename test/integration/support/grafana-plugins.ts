/**
 * The two Grafana data source plugins as the dashboards use them, for tests against a live API (no
 * Grafana server can run here): each panel target is sent the way the plugin sends it, and its
 * fields are evaluated with the plugin's own selector code:
 * - JSON API (grafana-json-datasource src/api.ts, datasource.ts): url = data source url + urlPath
 *   (repeated slashes collapsed), params as encodeURIComponent pairs, the data source proxy adds the
 *   Authorization header; each field is JSONPath({ path, json, eval: false }) from jsonpath-plus.
 * - Infinity (grafana-infinity-datasource pkg/infinity/request.go GetQueryURL, ApplyBearerToken;
 *   src/app/parsers/JSONParser.ts, utils.ts getValue): url = data source url + url, params added with
 *   url.Values.Add, Authorization: Bearer; root_selector by JSONPath when it starts with '$' else
 *   lodash get, each column lodash get(row, selector, '') then getValue(value, type). Selectors are
 *   plain keys, for which the backend parser's gjson paths select the same values.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { JSONPath } from 'jsonpath-plus';
import lodash from 'lodash';
import { dashboardsDir } from '../../../infra/grafana/src/generate.js';

export type Json = any;
export interface Target extends Record<string, Json> {
  refId: string;
}
export interface Frame {
  fields: { name: string; type: string; values: unknown[] }[];
}

/** Grafana's templateSrv.replace for the forms the dashboards use: $name, ${name}, [[name]]. */
export function interpolate(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)|\[\[(\w+)\]\]/g, (whole, a, b, c) => {
    const name = a ?? b ?? c;
    return name in vars ? vars[name]! : whole;
  });
}

export type FetchJson = (url: string, headers: Record<string, string>) => Promise<Json>;
export type Runner = (target: Target, vars: Record<string, string>, fetchJson?: FetchJson) => Promise<{ url: string; frame: Frame }>;

/** Each plugin's query runner against the API at `apiUrl()` with `token`; `getJson` is their default fetch. */
export function pluginClients(apiUrl: () => string, token: string): { runners: Record<'json-api' | 'infinity', Runner>; getJson: FetchJson } {
  async function getJson(url: string, headers: Record<string, string>): Promise<Json> {
    const response = await fetch(url, { method: 'GET', headers });
    const text = await response.text();
    assert.equal(response.status, 200, `GET ${url} -> ${response.status}: ${text}`);
    return JSON.parse(text);
  }

  /** What the JSON API plugin requests and how it builds its frame. */
  async function runJsonApi(target: Target, vars: Record<string, string>, fetchJson = getJson): Promise<{ url: string; frame: Frame }> {
    assert.equal(target.method, 'GET');
    let url = `${apiUrl()}/${interpolate(target.urlPath, vars)}`.replace(/^(https?:\/\/[^/]+)(.*)$/, (_, origin: string, rest: string) => origin + rest.replace(/[/]+/g, '/'));
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
    const u = new URL(query.startsWith(apiUrl()) ? query : apiUrl() + query);
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

  return { runners: { 'json-api': runJsonApi, infinity: runInfinity }, getJson };
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

export function loadDashboards(plugin: string): { file: string; d: Json }[] {
  const dir = path.join(dashboardsDir, plugin);
  return readdirSync(dir).map((file) => ({ file: `${plugin}/${file}`, d: JSON.parse(readFileSync(path.join(dir, file), 'utf8')) }));
}

export const datasourceTypes = { 'json-api': 'marcusolsson-json-datasource', infinity: 'yesoreyeram-infinity-datasource' } as const;
