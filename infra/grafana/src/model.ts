/**
 * One plugin-neutral definition of each dashboard: panels, their API query (path, params, the array
 * in the response, the fields of each row) and variables. render.ts turns it into a Grafana dashboard
 * for the JSON API data source and another for Infinity, so both plugins show the same dashboards.
 */

/** A field of each row of the response array; `key` is a plain property name of the row. */
export interface RowField {
  key: string;
  /** Column name in Grafana. */
  name: string;
  type: 'string' | 'number' | 'time';
  /** The API may send null here (e.g. no val AUC for a failed trial). */
  nullable?: boolean;
}

export interface ApiQuery {
  /** Path on the API, with dashboard variables ($sweep, ${__from}). */
  path: string;
  params?: [string, string][];
  /** The response property holding the row array (e.g. 'trials'). */
  rows: string;
  fields: RowField[];
}

export interface Panel {
  title: string;
  /** The question the panel answers (shown as the panel description, and in the README). */
  question: string;
  type: 'table' | 'timeseries' | 'barchart' | 'piechart' | 'trend' | 'xychart';
  grid: { x: number; y: number; w: number; h: number };
  query: ApiQuery;
  /** A second query (refId B), drawn over the first; its frame is the panel's second. */
  overlay?: ApiQuery;
  /** One panel per value of this variable. */
  repeat?: string;
  /** One series per distinct value of this field (Grafana's partitionByValues transformation). */
  seriesBy?: string;
  /** Panel options and field defaults, passed through. */
  options?: Record<string, unknown>;
  defaults?: Record<string, unknown>;
  /** Field config overrides, passed through (e.g. the overlay's style, matched by refId). */
  overrides?: Record<string, unknown>[];
}

export interface Variable {
  name: string;
  label: string;
  /** The first field is the value (and the text, unless a second field gives it). */
  query: ApiQuery;
  multi?: boolean;
  includeAll?: boolean;
}

export interface Dashboard {
  /** Suffixed per plugin in the generated uid. */
  uid: string;
  title: string;
  description: string;
  time: { from: string; to: string };
  variables: Variable[];
  panels: Panel[];
}
