/**
 * Renders a plugin-neutral Dashboard (model.ts) into Grafana dashboard JSON for one data source plugin.
 * Target formats follow each plugin's own source: grafana-json-datasource src/types.ts (JsonApiQuery:
 * method, urlPath, params as [key, value] pairs, fields of {jsonPath, name, type}, cacheDurationSeconds)
 * and grafana-infinity-datasource src/types/query.types.ts (type json, source url, url, url_options,
 * root_selector, columns of {selector, text, type}) and variables.types.ts (queryType infinity).
 */
import type { ApiQuery, Dashboard, Panel, Variable } from './model.js';

export type Plugin = 'json-api' | 'infinity';

export const dataSources = {
  'json-api': { type: 'marcusolsson-json-datasource', uid: 'danq-sweep-json-api' },
  infinity: { type: 'yesoreyeram-infinity-datasource', uid: 'danq-sweep-infinity' },
} as const;

const infinityType = { string: 'string', number: 'number', time: 'timestamp' } as const;

/** A panel target (or a variable's query) in the plugin's own format. */
export function target(plugin: Plugin, query: ApiQuery, refId: string): Record<string, unknown> {
  const datasource = dataSources[plugin];
  if (plugin === 'json-api') {
    return {
      refId,
      datasource,
      method: 'GET',
      urlPath: query.path,
      params: query.params ?? [],
      headers: [],
      body: '',
      queryParams: '',
      cacheDurationSeconds: 0,
      fields: query.fields.map((f) => ({ jsonPath: `$.${query.rows}[*].${f.key}`, name: f.name, type: f.type, language: 'jsonpath' })),
    };
  }
  return {
    refId,
    datasource,
    type: 'json',
    source: 'url',
    parser: 'backend',
    format: 'table',
    url: query.path,
    url_options: { method: 'GET', data: '', params: (query.params ?? []).map(([key, value]) => ({ key, value })), headers: [] },
    root_selector: query.rows,
    columns: query.fields.map((f) => ({ selector: f.key, text: f.name, type: infinityType[f.type] })),
    filters: [],
  };
}

function variable(plugin: Plugin, v: Variable): Record<string, unknown> {
  const query = plugin === 'json-api' ? target(plugin, v.query, 'variable') : { queryType: 'infinity', refId: 'variable', query: '', infinityQuery: target(plugin, v.query, 'variable') };
  return {
    type: 'query',
    name: v.name,
    label: v.label,
    datasource: dataSources[plugin],
    query,
    refresh: 1,
    sort: 0,
    multi: v.multi ?? false,
    includeAll: v.includeAll ?? false,
    current: {},
    options: [],
  };
}

function panel(plugin: Plugin, p: Panel, id: number): Record<string, unknown> {
  const transformations = p.seriesBy ? [{ id: 'partitionByValues', options: { fields: [p.seriesBy], keepFields: false } }] : [];
  return {
    id,
    type: p.type,
    title: p.title,
    description: p.question,
    gridPos: p.grid,
    datasource: dataSources[plugin],
    targets: [target(plugin, p.query, 'A'), ...(p.overlay ? [target(plugin, p.overlay, 'B')] : [])],
    transformations,
    fieldConfig: { defaults: p.defaults ?? {}, overrides: p.overrides ?? [] },
    options: p.options ?? {},
    ...(p.repeat ? { repeat: p.repeat, repeatDirection: 'h', maxPerRow: 3 } : {}),
  };
}

export function renderDashboard(plugin: Plugin, d: Dashboard): Record<string, unknown> {
  const suffix = plugin === 'json-api' ? 'JSON API' : 'Infinity';
  return {
    uid: `${d.uid}-${plugin}`,
    title: `${d.title} (${suffix})`,
    description: d.description,
    tags: ['danq-sweep', plugin],
    editable: true,
    schemaVersion: 41,
    version: 1,
    time: d.time,
    refresh: '30s',
    timezone: 'browser',
    templating: { list: d.variables.map((v) => variable(plugin, v)) },
    annotations: { list: [] },
    panels: d.panels.map((p, i) => panel(plugin, p, i + 1)),
  };
}
