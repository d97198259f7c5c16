/**
 * Read-only views of the results database for people: the HTTP API (src/api) and `sweep report` serve
 * these. Each view is a plain typed function of a ReadSource, returning JSON-ready rows (ISO times,
 * finite numbers or null). Orderings that pick a best reuse ResultsStore.leaderboard, the SQL twin of
 * the workflow's pickBest (src/strategy/best.ts), so the API never ranks differently from the sweep.
 */
import { paramImportances, type ImportanceMethod } from '../importance/index.js';
import { UserError } from '../errors.js';
import { searchSpaceOf } from '../sweep-spec/plan.js';
import type { SweepSpec } from '../sweep-spec/schema.js';
import type { ParamValue, Params } from '../strategy/space.js';
import { finiteOrNull, MAX_CURVE_TRIALS, METRIC_FIELDS, type CurveMetric } from '../domain/metrics.js';
import { formatParamValue, trialLabel } from '../domain/params.js';
import { isFinishedTrialStatus, TRIAL_STATUSES } from '../domain/status.js';
import { openDbConnection, type StoreSql } from './postgres-store.js';
import type { Static } from 'typebox';
import type * as S from '../api/schemas.js';
import { rankingOf, rankTrials, violationOf, type Ranking } from '../strategy/pareto.js';
import { OBJECTIVE_MODES, TRIAL_METRIC_MODES, trialMetricOf, type Constraint, type Objective, type TrialMetrics } from '../strategy/objective.js';
import type { WarmStartTrial } from '../strategy/types.js';
import type { ResultsStore, SweepRow, TrialRow, TrialStatus } from './types.js';

/** The store (for the rows and rules it owns) and its connection, for the aggregate queries below. */
export interface ReadSource {
  store: ResultsStore;
  sql: StoreSql;
  close(): Promise<void>;
}

/** readOnly: as the API opens it (see OpenDbOptions.readOnly); then the aggregate queries time out too. */
export async function openReadSource(databaseUrl: string, options: { readOnly?: boolean } = {}): Promise<ReadSource> {
  const { store, sql } = await openDbConnection(databaseUrl, options);
  return { store, sql, close: () => store.close() };
}

export type SearchedParameter = Static<typeof S.SearchedParameterSchema>;
export type ParamType = SearchedParameter['type'];
export type SweepSummary = Static<typeof S.SweepSummarySchema>;

/** A trial as a flat row: each searched parameter is its own column, named `param_<name>`. */
export type TrialView = Static<typeof S.TrialSchema> & ParamColumns;
export type RankedTrial = Static<typeof S.RankedTrialSchema> & ParamColumns;
/** The schemas' patternProperties, which Static leaves out. */
type ParamColumns = Record<`param_${string}`, Static<typeof S.ParamColumnSchema>>;

export type CurvePoint = Static<typeof S.CurvePointSchema>;
export type ParameterEffect = Static<typeof S.ParameterEffectSchema>;
export type BestSoFarPoint = Static<typeof S.BestSoFarPointSchema>;
export type WorkerActivity = Static<typeof S.WorkerActivitySchema>;
export type ThroughputPoint = Static<typeof S.ThroughputPointSchema>;

export interface TimeWindow {
  sweepId?: string;
  from?: Date;
  to?: Date;
}

const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);
const camel = (status: TrialStatus) => status.replace(/-(\w)/g, (_, c: string) => c.toUpperCase()) as 'pending' | 'running' | 'completed' | 'earlyStopped' | 'failed' | 'cancelled';

// ---- sweeps ----------------------------------------------------------------------------------

/** Newest first; `status` filters. */
export async function listSweepSummaries(src: ReadSource, filter: { status?: SweepRow['status']; limit: number }): Promise<SweepSummary[]> {
  return summarize(src, await src.store.listSweeps(filter));
}

/** undefined for an unknown sweep. */
export async function getSweepSummary(src: ReadSource, sweepId: string): Promise<SweepSummary | undefined> {
  const sweep = await src.store.getSweep(sweepId);
  return sweep && (await summarize(src, [sweep]))[0];
}

/** Counts and best val AUC of all the sweeps in one query. */
async function summarize(src: ReadSource, sweeps: readonly SweepRow[]): Promise<SweepSummary[]> {
  // The leaderboard's first trial has the highest best_val_auc, whatever breaks its ties: max() is its AUC.
  const rows = await src.sql<{ sweepId: string; status: TrialStatus; n: number; best: number | null }[]>`
    select sweep_id, status, count(*)::int as n, max(best_val_auc)::float8 as best
    from trials where sweep_id = any(${sweeps.map((s) => s.id)}::text[]) group by sweep_id, status`;
  return sweeps.map((sweep) =>
    summary(
      sweep,
      rows.filter((r) => r.sweepId === sweep.id),
    ),
  );
}

function summary(sweep: SweepRow, counts: readonly { status: TrialStatus; n: number; best: number | null }[]): SweepSummary {
  const byState = Object.fromEntries(TRIAL_STATUSES.map((s) => [camel(s), 0])) as Record<ReturnType<typeof camel>, number>;
  for (const row of counts) byState[camel(row.status)] = row.n;
  const best = counts.map((r) => finiteOrNull(r.best)).filter((b): b is number => b !== null);
  return {
    sweepId: sweep.id,
    name: sweep.name,
    status: sweep.status,
    strategy: sweep.strategy,
    totalTrials: sweep.totalTrials,
    ...byState,
    bestTrialId: sweep.bestTrialId,
    bestValAuc: best.length > 0 ? Math.max(...best) : null,
    createdAt: sweep.createdAt.toISOString(),
    finishedAt: iso(sweep.finishedAt),
  };
}

/** Trial counts in long form, one row per state (zeros included): the "trials by state" chart. */
export function stateCounts(summary: SweepSummary): { state: TrialStatus; trials: number }[] {
  return TRIAL_STATUSES.map((state) => ({ state, trials: summary[camel(state)] }));
}

// ---- trials ----------------------------------------------------------------------------------

/** The searched parameters' names: the spec's space keys (else every params key), in the spec's order. */
function searchedNames(sweep: SweepRow | undefined, trials: readonly { params: Record<string, unknown> }[]): string[] {
  const space = (sweep?.spec as { space?: Record<string, unknown> } | null | undefined)?.space;
  return space && typeof space === 'object' ? Object.keys(space) : [...new Set(trials.flatMap((t) => Object.keys(t.params)))];
}

/** The searched parameters, typed from the trials' values. */
export function searchedParameters(sweep: SweepRow, trials: readonly TrialRow[]): SearchedParameter[] {
  return searchedNames(sweep, trials).map((name) => {
    const values = trials.map((t) => t.params[name]).filter((v) => v !== undefined && v !== null);
    const kinds = new Set(values.map((v) => typeof v));
    const type: ParamType = kinds.size === 1 && kinds.has('number') ? 'number' : kinds.size === 1 && kinds.has('boolean') ? 'boolean' : 'string';
    return { name, type, distinctValues: new Set(values.map((v) => JSON.stringify(v))).size };
  });
}

function paramValue(value: unknown, type: ParamType): number | string | boolean | null {
  if (value === undefined || value === null) return null;
  if (type === 'string') return typeof value === 'string' ? value : JSON.stringify(value);
  return value as number | boolean;
}

/** A trial row's measurements, as the workflow ranks them (src/strategy/objective.ts). */
function trialMetricsOf(row: TrialRow): TrialMetrics {
  return {
    valAuc: finiteOrNull(row.bestValAuc),
    valPrAuc: finiteOrNull(row.bestValPrAuc),
    valLoss: finiteOrNull(row.bestValLoss),
    params: row.paramCount ?? Number.NaN,
    inferenceMsPer1k: finiteOrNull(row.inferenceMsPer1k),
    trainSeconds: finiteOrNull(row.trainSeconds),
  };
}

/**
 * spec.warmStart's earlier sweeps' finished trials at the same epoch budget, as the sampler's first
 * observations. Each earlier sweep must exist, have the same dataset fingerprint and the same
 * search space: otherwise a UserError names the sweep and what differs.
 */
export async function warmStartTrials(
  store: ResultsStore,
  spec: { warmStart?: { sweeps: string[] }; space: Record<string, unknown>; training: { epochs: number } },
  datasetFingerprint: string,
): Promise<WarmStartTrial[] | undefined> {
  if (!spec.warmStart) return undefined;
  const trials: WarmStartTrial[] = [];
  for (const [i, sweepId] of spec.warmStart.sweeps.entries()) {
    const at = `warmStart.sweeps[${i}]`;
    const earlier = await store.getSweep(sweepId);
    if (!earlier) throw new UserError(`${at}: no sweep '${sweepId}' in the database (sweep list shows the sweeps)`);
    if (earlier.datasetFingerprint !== datasetFingerprint) {
      throw new UserError(`${at}: ${sweepId} trained on other data (dataset fingerprint ${earlier.datasetFingerprint}, this sweep's is ${datasetFingerprint}): warm starts need the same dataset`);
    }
    const earlierSpace = (earlier.spec as { space?: Record<string, unknown> } | null)?.space ?? {};
    if (!sameSpace(earlierSpace, spec.space)) {
      throw new UserError(`${at}: ${sweepId} searched another space (${JSON.stringify(earlierSpace)}, this sweep's is ${JSON.stringify(spec.space)}): warm starts need the same space`);
    }
    for (const row of await store.listTrials(sweepId)) {
      // Only results at this sweep's budget compare: a trial that trained fewer epochs was measured at another one.
      if (isFinishedTrialStatus(row.status) && row.epochsTrained === spec.training.epochs && finiteOrNull(row.bestValAuc) !== null) {
        trials.push({ params: row.params as Params, metrics: trialMetricsOf(row) });
      }
    }
  }
  return trials;
}

/** The same keys with the same values; key order aside, which jsonb does not keep. */
function sameSpace(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && JSON.stringify(a[key]) === JSON.stringify(b[key]));
}

/** The sweep's ranking from its stored (parsed) spec; undefined for a single objective without constraints. */
function sweepRanking(sweep: SweepRow): Ranking | undefined {
  const spec = sweep.spec as { objectives?: Objective[]; constraints?: Constraint[] } | null;
  return spec ? rankingOf(spec) : undefined;
}

export type ParetoPlace = { paretoRank: number; feasible: boolean };

/** A ranked sweep's finished, measured trials in leaderboard order with their places; undefined for a sweep with one objective and no constraints. */
export function paretoRows(sweep: SweepRow, rows: readonly TrialRow[]): { row: TrialRow; place: ParetoPlace }[] | undefined {
  const ranking = sweepRanking(sweep);
  return ranking && paretoOrder(rows, ranking);
}

/** Finished trials of a ranked sweep in leaderboard order (Pareto rank, then the first objective), with their places. */
function paretoOrder(rows: readonly TrialRow[], ranking: Ranking): { row: TrialRow; place: ParetoPlace }[] {
  const finished = rows.filter((row) => isFinishedTrialStatus(row.status));
  const entries = finished.map((row) => ({ trial: row.number, metrics: trialMetricsOf(row), row }));
  return rankTrials(entries, ranking.objectives, ranking.constraints).map((r) => ({ row: r.entry.row, place: { paretoRank: r.rank, feasible: r.feasible } }));
}

function placesOf(sweep: SweepRow, rows: readonly TrialRow[]): Map<string, ParetoPlace> {
  return new Map((paretoRows(sweep, rows) ?? []).map(({ row, place }) => [row.id, place]));
}

function trialView(row: TrialRow, parameters: readonly SearchedParameter[], place?: ParetoPlace): TrialView {
  const duration = row.startedAt && row.finishedAt ? (row.finishedAt.getTime() - row.startedAt.getTime()) / 1000 : null;
  const names = parameters.map((p) => p.name);
  const view: TrialView = {
    trialId: row.id,
    number: row.number,
    status: row.status,
    worker: row.workerIdentity,
    backend: row.backend,
    paramCount: row.paramCount,
    epochsTrained: row.epochsTrained,
    bestEpoch: row.bestEpoch,
    valAuc: finiteOrNull(row.bestValAuc),
    valPrAuc: finiteOrNull(row.bestValPrAuc),
    valLoss: finiteOrNull(row.bestValLoss),
    inferenceMsPer1k: finiteOrNull(row.inferenceMsPer1k),
    trainSeconds: finiteOrNull(row.trainSeconds),
    paretoRank: place?.paretoRank ?? null,
    feasible: place?.feasible ?? null,
    durationSeconds: duration,
    failureReason: row.failureReason,
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
    label: trialLabel(row.number, row.params, names),
  };
  for (const p of parameters) view[`param_${p.name}`] = paramValue(row.params[p.name], p.type);
  return view;
}

export type SweepTrials = Static<typeof S.TrialsSchema> & { trials: TrialView[] };

/** The searched parameters: the spec's space keys (else every params key), typed from the trials' values (aggregated in SQL). */
export async function sweepParameters(src: ReadSource, sweep: SweepRow): Promise<SearchedParameter[]> {
  const rows = await src.sql<{ name: string; kind: string; distinct: number }[]>`
    select p.key as name, jsonb_typeof(p.value) as kind, count(distinct p.value)::int as "distinct"
    from trials t, jsonb_each(t.params) p
    where t.sweep_id = ${sweep.id} and jsonb_typeof(p.value) <> 'null'
    group by 1, 2 order by 1, 2`;
  const space = (sweep.spec as { space?: Record<string, unknown> } | null)?.space;
  const names = space && typeof space === 'object' ? Object.keys(space) : [...new Set(rows.map((r) => r.name))];
  return names.map((name) => {
    const kinds = rows.filter((r) => r.name === name);
    const only = kinds.length === 1 ? kinds[0]!.kind : undefined;
    const type: ParamType = only === 'number' ? 'number' : only === 'boolean' ? 'boolean' : 'string';
    return { name, type, distinctValues: kinds.reduce((n, r) => n + r.distinct, 0) };
  });
}

/** By trial number, a page of at most `limit` after trial number `after`; undefined for an unknown sweep. */
export async function sweepTrials(src: ReadSource, sweepId: string, filter: { status?: TrialStatus; after?: number; limit?: number } = {}): Promise<SweepTrials | undefined> {
  const sweep = await src.store.getSweep(sweepId);
  if (!sweep) return undefined;
  const [parameters, rows] = await Promise.all([sweepParameters(src, sweep), src.store.listTrials(sweepId, { status: filter.status, afterNumber: filter.after, limit: filter.limit })]);
  // A Pareto rank depends on every finished trial of the sweep, not only on this page's.
  const places = sweepRanking(sweep) ? placesOf(sweep, await src.store.listTrials(sweepId)) : new Map<string, ParetoPlace>();
  return { sweepId, parameters, trials: rows.map((t) => trialView(t, parameters, places.get(t.id))) };
}

export type Leaderboard = Static<typeof S.LeaderboardSchema> & { trials: RankedTrial[] };

/**
 * The best `limit` (default all) trials, in ResultsStore.leaderboard's order (the workflow's best-pick
 * rule); for sweeps with several objectives or constraints, by Pareto rank, then the first objective
 * (the workflow's ranking, src/strategy/pareto.ts).
 */
export async function leaderboard(src: ReadSource, sweepId: string, limit?: number): Promise<Leaderboard | undefined> {
  const sweep = await src.store.getSweep(sweepId);
  if (!sweep) return undefined;
  const ranking = sweepRanking(sweep);
  const parameters = await sweepParameters(src, sweep);
  if (ranking) {
    const order = paretoOrder(await src.store.listTrials(sweepId), ranking).slice(0, limit);
    return { sweepId, parameters, trials: order.map(({ row, place }, i) => ({ rank: i + 1, ...trialView(row, parameters, place) })) };
  }
  const ranked = await src.store.leaderboard(sweepId, limit);
  return { sweepId, parameters, trials: ranked.map((t, i) => ({ rank: i + 1, ...trialView(t, parameters) })) };
}

/** objectives: val AUC alone for a sweep with constraints and one objective; trials: Pareto rank 1, best on the first objective first. */
export type ParetoFront = Static<typeof S.ParetoSchema> & { trials: RankedTrial[] };

/** The Pareto front; undefined for an unknown sweep, objectives [] and no trials for a single-objective sweep without constraints. */
export async function paretoFront(src: ReadSource, sweepId: string): Promise<ParetoFront | undefined> {
  const board = await leaderboard(src, sweepId);
  if (!board) return undefined;
  const sweep = (await src.store.getSweep(sweepId))!;
  const ranking = sweepRanking(sweep);
  if (!ranking) return { sweepId, objectives: [], constraints: [], trials: [] };
  return { sweepId, objectives: ranking.objectives, constraints: ranking.constraints, trials: board.trials.filter((t) => t.paretoRank === 1) };
}

/** A measured trial on the Pareto scatter: `x` and `y` are its values of the scatter's two objectives. */
export interface ParetoPoint {
  trial: number;
  label: string;
  x: number;
  y: number;
  paretoRank: number;
  feasible: boolean;
  /** How far the trial lies outside the constraints, summed over them (0 = feasible; null when a constrained metric was not measured). */
  violation: number | null;
  /** 'infeasible' breaks a constraint; 'front' is a feasible trial of Pareto rank 1; 'dominated' the other feasible ones. */
  group: 'front' | 'dominated' | 'infeasible';
}

export interface ParetoScatter {
  sweepId: string;
  /** y: the first objective; x: the second, or with one objective the first other constrained metric, else the parameter count. Null for a single objective without constraints. */
  axes: { x: Objective; y: Objective } | null;
  /** Every finished trial with both values measured, in leaderboard order. */
  points: ParetoPoint[];
  /** The points of Pareto rank 1 (the same trials GET /pareto lists), by x, to be drawn joined. */
  front: ParetoPoint[];
}

/** The two objectives a Pareto scatter draws: the sweep's first two, else its first objective against a cost. */
export function scatterAxes(ranking: Ranking): { x: Objective; y: Objective } {
  const [y, second] = ranking.objectives as [Objective, ...Objective[]];
  if (second) return { x: second, y };
  const metric = ranking.constraints.find((c) => c.metric !== y.metric)?.metric ?? 'params';
  return { x: { metric, mode: TRIAL_METRIC_MODES[metric] }, y };
}

/** The trade-off between the two main objectives, every measured trial a point; undefined for an unknown sweep. */
export async function paretoScatter(src: ReadSource, sweepId: string): Promise<ParetoScatter | undefined> {
  const sweep = await src.store.getSweep(sweepId);
  if (!sweep) return undefined;
  const ranking = sweepRanking(sweep);
  if (!ranking) return { sweepId, axes: null, points: [], front: [] };
  const axes = scatterAxes(ranking);
  const rows = await src.store.listTrials(sweepId);
  const names = searchedNames(sweep, rows);
  const points = (paretoRows(sweep, rows) ?? []).flatMap(({ row, place }): ParetoPoint[] => {
    const metrics = trialMetricsOf(row);
    const [x, y] = [trialMetricOf(axes.x.metric, metrics), trialMetricOf(axes.y.metric, metrics)];
    if (x === null || y === null) return [];
    const group = !place.feasible ? 'infeasible' : place.paretoRank === 1 ? 'front' : 'dominated';
    const violation = finiteOrNull(violationOf(ranking.constraints, metrics));
    return [{ trial: row.number, label: trialLabel(row.number, row.params, names), x, y, ...place, violation, group }];
  });
  const front = points.filter((p) => p.paretoRank === 1).sort((a, b) => a.x - b.x || a.y - b.y);
  return { sweepId, axes, points, front };
}

// ---- learning curves ---------------------------------------------------------------------------

export interface CurveQuery {
  /** The sweep's trials (with `top`: only its best `top` by the leaderboard rule). */
  sweepId?: string;
  top?: number;
  /** Or these trials, by id (any sweeps). */
  trialIds?: readonly string[];
  metrics: readonly CurveMetric[];
}

/** Long form, one row per trial, epoch and metric, ordered by trial then epoch. */
export async function learningCurves(src: ReadSource, query: CurveQuery): Promise<CurvePoint[]> {
  let trialIds: string[];
  if (query.trialIds) trialIds = [...query.trialIds];
  else if (query.top !== undefined) trialIds = (await src.store.leaderboard(query.sweepId!, query.top)).map((t) => t.id);
  else trialIds = (await src.store.listTrials(query.sweepId!, { limit: MAX_CURVE_TRIALS })).map((t) => t.id);
  if (trialIds.length === 0 || query.metrics.length === 0) return [];
  const rows = await src.sql<
    { trialId: string; number: number; params: Record<string, unknown>; sweepId: string; epoch: number; recordedAt: Date; trainLoss: number; valLoss: number; valAuc: number; valPrAuc: number }[]
  >`
    select e.trial_id, t.number, t.params, t.sweep_id, e.epoch, e.recorded_at, e.train_loss, e.val_loss, e.val_auc, e.val_pr_auc
    from trial_epochs e join trials t on t.id = e.trial_id
    where e.trial_id = any(${trialIds}::text[])
    order by t.sweep_id, t.number, e.epoch`;
  const order = new Map(trialIds.map((id, i) => [id, i]));
  // Labelled as everywhere else: searched values in the sweep's spec order (jsonb does not keep key order).
  const names = new Map<string, string[]>();
  for (const sweepId of new Set(rows.map((r) => r.sweepId))) {
    const sweep = await src.store.getSweep(sweepId);
    const sweepRows = rows.filter((r) => r.sweepId === sweepId);
    names.set(sweepId, searchedNames(sweep, sweepRows));
  }
  const points: CurvePoint[] = [];
  for (const r of query.trialIds ? rows : [...rows].sort((a, b) => order.get(a.trialId)! - order.get(b.trialId)! || a.epoch - b.epoch)) {
    const label = trialLabel(r.number, r.params, names.get(r.sweepId));
    for (const metric of query.metrics) {
      const value = finiteOrNull(r[METRIC_FIELDS[metric]]);
      if (value !== null) points.push({ trialId: r.trialId, trial: r.number, label, epoch: r.epoch, metric, value, time: r.recordedAt.toISOString() });
    }
  }
  return points;
}

// ---- parameter effects -------------------------------------------------------------------------

/** For each searched parameter (or just `parameter`): value or bin -> trials, best and mean val AUC. */
export async function parameterEffects(
  src: ReadSource,
  sweepId: string,
  options: { parameter?: string; bins: number },
): Promise<{ sweepId: string; parameters: SearchedParameter[]; effects: ParameterEffect[] } | undefined> {
  const sweep = await src.store.getSweep(sweepId);
  if (!sweep) return undefined;
  const parameters = await sweepParameters(src, sweep);
  const chosen = options.parameter === undefined ? parameters : parameters.filter((p) => p.name === options.parameter);
  const groups = await valueGroups(src, sweepId, chosen);
  return { sweepId, parameters, effects: chosen.flatMap((p) => effectsOf(p, groups.get(p.name) ?? [], options.bins)) };
}

/** The trials of one stored value of a parameter, aggregated in SQL: one row per distinct value, never one per trial. */
interface ValueGroup {
  value: unknown;
  trials: number;
  withResult: number;
  failed: number;
  bestValAuc: number | null;
  sumValAuc: number | null;
}

async function valueGroups(src: ReadSource, sweepId: string, parameters: readonly SearchedParameter[]): Promise<Map<string, ValueGroup[]>> {
  const byParameter = new Map<string, ValueGroup[]>();
  if (parameters.length === 0) return byParameter;
  const finite = src.sql`t.best_val_auc not in ('NaN', 'Infinity', '-Infinity')`;
  const rows = await src.sql<(ValueGroup & { parameter: string })[]>`
    select p.key as parameter, p.value, count(*)::int as trials,
           count(*) filter (where ${finite})::int as with_result,
           count(*) filter (where t.status = 'failed')::int as failed,
           max(t.best_val_auc) filter (where ${finite}) as best_val_auc,
           sum(t.best_val_auc) filter (where ${finite}) as sum_val_auc
    from trials t, jsonb_each(t.params) p
    where t.sweep_id = ${sweepId} and p.key = any(${parameters.map((p) => p.name)}::text[])
    group by p.key, p.value`;
  for (const { parameter, ...group } of rows) byParameter.set(parameter, [...(byParameter.get(parameter) ?? []), group]);
  return byParameter;
}

function effectsOf(parameter: SearchedParameter, valueGroups: readonly ValueGroup[], bins: number): ParameterEffect[] {
  const numbers = valueGroups.map((g) => g.value).filter((v): v is number => typeof v === 'number');
  const binOf = parameter.type === 'number' && parameter.distinctValues > bins ? binner(numbers, bins) : undefined;
  const effects = new Map<string, ParameterEffect & { sumValAuc: number }>();
  for (const g of valueGroups) {
    const [key, order] = binOf && typeof g.value === 'number' ? binOf(g.value) : [formatParamValue(g.value), typeof g.value === 'number' ? g.value : null];
    const effect = effects.get(key) ?? { parameter: parameter.name, value: key, order, trials: 0, withResult: 0, failed: 0, bestValAuc: null, meanValAuc: null, sumValAuc: 0 };
    effect.trials += g.trials;
    effect.withResult += g.withResult;
    effect.failed += g.failed;
    if (g.bestValAuc !== null) effect.bestValAuc = Math.max(effect.bestValAuc ?? -Infinity, g.bestValAuc);
    effect.sumValAuc += g.sumValAuc ?? 0;
    effects.set(key, effect);
  }
  return [...effects.values()]
    .map(({ sumValAuc, ...effect }) => ({ ...effect, meanValAuc: effect.withResult ? sumValAuc / effect.withResult : null }))
    .sort((a, b) => (a.order !== null && b.order !== null ? a.order - b.order : a.value.localeCompare(b.value)));
}

/** Equal-width bins, on a log scale when the values are positive and span two decades or more. */
function binner(values: readonly number[], bins: number): (v: number) => [string, number] {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const log = lo > 0 && hi / lo >= 100;
  const f = log ? Math.log10 : (x: number) => x;
  const inv = log ? (x: number) => 10 ** x : (x: number) => x;
  const width = (f(hi) - f(lo)) / bins || 1;
  return (v) => {
    const i = Math.min(bins - 1, Math.floor((f(v) - f(lo)) / width));
    const [a, b] = [inv(f(lo) + i * width), inv(f(lo) + (i + 1) * width)];
    // Edges are computed, not searched values: three significant digits tell the bins apart.
    const edge = (x: number) => formatParamValue(Number(x.toPrecision(3)));
    return [`[${edge(a)}, ${edge(b)}${i === bins - 1 ? ']' : ')'}`, a];
  };
}

// ---- parameter importance ----------------------------------------------------------------------

/** Fewer completed trials than this make every importance equal (Optuna warns and returns zeros). */
export const MIN_IMPORTANCE_TRIALS = 2;

export type SweepImportance = Static<typeof S.ImportanceSchema>;

/** A sweep with too few completed trials to say which parameters mattered: the CLI exits 2, the API answers 422. */
export class TooFewTrials extends UserError {
  readonly statusCode = 422;
}

/**
 * Which searched parameters mattered for the sweep's objective (PED-ANOVA or fANOVA, src/importance),
 * from its completed trials as Optuna uses COMPLETE ones: early-stopped trials stopped at a smaller
 * budget and are left out. Undefined for an unknown sweep.
 */
export async function sweepImportance(src: ReadSource, sweepId: string, method: ImportanceMethod): Promise<SweepImportance | undefined> {
  const sweep = await src.store.getSweep(sweepId);
  if (!sweep) return undefined;
  const spec = sweep.spec as SweepSpec;
  // Several objectives: the first one, which also picks the best model, when a trial row keeps it.
  const first = spec.objectives?.[0];
  const kept = (o: { metric: string }): o is SweepSpec['objective'] => o.metric in OBJECTIVE_MODES;
  const { metric, mode } = first && kept(first) ? first : spec.objective;
  const trials = (await src.store.listTrials(sweepId)).flatMap((t) => {
    const value = trialMetricOf(metric, trialMetricsOf(t));
    return t.status === 'completed' && value !== null ? [{ params: t.params as Params, value }] : [];
  });
  if (trials.length < MIN_IMPORTANCE_TRIALS) {
    throw new TooFewTrials(`${sweepId} has ${trials.length} completed trial${trials.length === 1 ? '' : 's'} with a ${metric}; parameter importance needs at least ${MIN_IMPORTANCE_TRIALS}`);
  }
  const importances = paramImportances({ space: searchSpaceOf(spec), trials, direction: mode === 'max' ? 'maximize' : 'minimize' }, method);
  return { sweepId, method, metric, mode, trials: trials.length, importances, ranking: Object.entries(importances).map(([parameter, importance]) => ({ parameter, importance })) };
}

export type ParallelCoordinates = Static<typeof S.ParallelCoordinatesSchema>;

/** The pictures of which parameters mattered: parallel coordinates in importance order, and the objective over the top two parameters. */
export async function parallelCoordinates(src: ReadSource, sweepId: string, method: ImportanceMethod): Promise<ParallelCoordinates | undefined> {
  const importance = await sweepImportance(src, sweepId, method);
  if (!importance) return undefined;
  const sweep = (await src.store.getSweep(sweepId))!;
  const space = new Map(searchSpaceOf(sweep.spec as SweepSpec).map((p) => [p.name, p]));
  const objectiveOf = (t: TrialRow) => trialMetricOf(importance.metric, trialMetricsOf(t));
  const rows = (await src.store.listTrials(sweepId)).filter((t) => t.status === 'completed' && objectiveOf(t) !== null);
  const parameters = await sweepParameters(src, sweep);
  const axes = importance.ranking.map((r, axis) => ({ axis, parameter: r.parameter, importance: r.importance }));
  const position = (name: string, value: unknown): number => {
    const p = space.get(name)!;
    if (p.kind === 'choice') return p.choices.length === 1 ? 0.5 : p.choices.indexOf(value as ParamValue) / (p.choices.length - 1);
    const f = p.kind === 'logUniform' ? Math.log : (x: number) => x;
    return (f(value as number) - f(p.low)) / (f(p.high) - f(p.low));
  };
  const lines = rows.flatMap((t) =>
    axes.map((a) => ({
      trial: t.number,
      label: trialLabel(
        t.number,
        t.params,
        parameters.map((p) => p.name),
      ),
      axis: a.axis,
      parameter: a.parameter,
      value: formatParamValue(t.params[a.parameter]),
      position: position(a.parameter, t.params[a.parameter]),
      objective: objectiveOf(t)!,
    })),
  );
  const [x, y] = axes;
  const pair = x && y ? { x: x.parameter, y: y.parameter } : null;
  const pairPoints = pair
    ? rows.map((t) => ({
        trial: t.number,
        label: trialLabel(
          t.number,
          t.params,
          parameters.map((p) => p.name),
        ),
        x: position(pair.x, t.params[pair.x]),
        y: position(pair.y, t.params[pair.y]),
        xValue: formatParamValue(t.params[pair.x]),
        yValue: formatParamValue(t.params[pair.y]),
        objective: objectiveOf(t)!,
      }))
    : [];
  return { sweepId, method, metric: importance.metric, axes, lines, pair, pairPoints };
}

// ---- best so far -------------------------------------------------------------------------------

/**
 * The best val ROC AUC reached so far, stepping at each trial's finish (trials with a finite result,
 * by finish time to the millisecond, then number), as a running maximum in SQL: no trial row leaves the database whole.
 */
export async function bestSoFar(src: ReadSource, sweepId: string): Promise<BestSoFarPoint[] | undefined> {
  if (!(await src.store.getSweep(sweepId))) return undefined;
  const rows = await src.sql<{ time: Date; trialId: string; trial: number; valAuc: number; bestValAuc: number }[]>`
    select finished_at as time, id as trial_id, number as trial, best_val_auc as val_auc,
           max(best_val_auc) over (order by date_trunc('milliseconds', finished_at), number rows unbounded preceding) as best_val_auc
    from trials
    where sweep_id = ${sweepId} and finished_at is not null and best_val_auc not in ('NaN', 'Infinity', '-Infinity')
    order by date_trunc('milliseconds', finished_at), number`;
  return rows.map((r) => ({ ...r, time: r.time.toISOString() }));
}

// ---- workers -----------------------------------------------------------------------------------

function windowFilter(sql: StoreSql, w: TimeWindow) {
  return sql`
    ${w.sweepId === undefined ? sql`` : sql`and t.sweep_id = ${w.sweepId}`}
    ${w.from === undefined ? sql`` : sql`and e.recorded_at >= ${w.from}`}
    ${w.to === undefined ? sql`` : sql`and e.recorded_at <= ${w.to}`}`;
}

/** Per worker (from the epoch rows it recorded): trials, epochs, busy seconds, mean samples/s. */
export async function workerActivity(src: ReadSource, window: TimeWindow = {}): Promise<WorkerActivity[]> {
  const rows = await src.sql<{ worker: string; trials: number; epochs: number; busySeconds: number; samplesPerSec: number | null; backends: string; firstSeen: Date; lastSeen: Date }[]>`
    select coalesce(e.worker_identity, '(unknown)') as worker, count(distinct e.trial_id)::int as trials, count(*)::int as epochs,
           sum(e.seconds)::float8 as busy_seconds, avg(e.samples_per_sec)::float8 as samples_per_sec,
           string_agg(distinct coalesce(t.backend, '(unknown)'), ',') as backends,
           min(e.recorded_at) as first_seen, max(e.recorded_at) as last_seen
    from trial_epochs e join trials t on t.id = e.trial_id
    where true ${windowFilter(src.sql, window)}
    group by 1 order by 1`;
  return rows.map((r) => ({ ...r, samplesPerSec: finiteOrNull(r.samplesPerSec), firstSeen: r.firstSeen.toISOString(), lastSeen: r.lastSeen.toISOString() }));
}

/** Training throughput over time, one point per epoch row, by time: the newest `limit` in the window. */
export async function throughput(src: ReadSource, window: TimeWindow, limit: number): Promise<ThroughputPoint[]> {
  const rows = await src.sql<{ time: Date; worker: string; backend: string; trialId: string; epoch: number; samplesPerSec: number }[]>`
    select * from (
      select e.recorded_at as time, coalesce(e.worker_identity, '(unknown)') as worker, coalesce(t.backend, '(unknown)') as backend,
             e.trial_id, e.epoch, e.samples_per_sec
      from trial_epochs e join trials t on t.id = e.trial_id
      where e.samples_per_sec not in ('NaN', 'Infinity', '-Infinity') ${windowFilter(src.sql, window)}
      order by e.recorded_at desc, e.trial_id desc, e.epoch desc
      limit ${limit}) newest
    order by time, trial_id, epoch`;
  return rows.map((r) => ({ ...r, time: r.time.toISOString() }));
}

// ---- health ------------------------------------------------------------------------------------

/** Round-trips the database; the error message (never the URL) when it cannot. */
export async function checkDatabase(src: ReadSource): Promise<{ ok: true; schemaVersion: number } | { ok: false; error: string }> {
  try {
    const [row] = await src.sql<{ version: number }[]>`select coalesce(max(version), 0)::int as version from schema_migrations`;
    return { ok: true, schemaVersion: row!.version };
  } catch (err) {
    return { ok: false, error: (err as { code?: string }).code ?? 'database unreachable' };
  }
}
