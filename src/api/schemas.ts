/**
 * JSON Schemas (TypeBox) of the HTTP API's requests and responses. Fastify validates requests and
 * serializes responses with them, and @fastify/swagger turns them into /openapi.json. The read
 * model's result types are these schemas' static types, so the two cannot drift apart.
 */
import { Type, type TSchema } from 'typebox';
import { CURVE_METRICS, MAX_CURVE_TRIALS } from '../domain/metrics.js';
import { SWEEP_STATUSES, TRIAL_STATUSES } from '../domain/status.js';
import { IMPORTANCE_METHODS } from '../importance/index.js';
import { TRIAL_METRICS } from '../strategy/objective.js';

const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
const Time = Type.String({ format: 'date-time' });

export const SweepStatusSchema = Type.Enum(SWEEP_STATUSES);
export const TrialStatusSchema = Type.Enum(TRIAL_STATUSES);

export const ErrorSchema = Type.Object({ statusCode: Type.Integer(), error: Type.String(), message: Type.String() }, { $id: 'Error' });

export const SearchedParameterSchema = Type.Object({
  name: Type.String(),
  type: Type.Enum(['number', 'string', 'boolean']),
  distinctValues: Type.Integer({ description: "Distinct values among the sweep's trials" }),
});

export const SweepSummarySchema = Type.Object({
  sweepId: Type.String(),
  name: Type.String(),
  status: SweepStatusSchema,
  strategy: Type.String(),
  totalTrials: Type.Integer(),
  pending: Type.Integer(),
  running: Type.Integer(),
  completed: Type.Integer(),
  earlyStopped: Type.Integer(),
  failed: Type.Integer(),
  cancelled: Type.Integer(),
  bestTrialId: Nullable(Type.String()),
  bestValAuc: Nullable(Type.Number({ description: "The leaderboard's first trial's val ROC AUC (the best so far while running)" })),
  createdAt: Time,
  finishedAt: Nullable(Time),
});

const trialFields = {
  trialId: Type.String(),
  number: Type.Integer(),
  status: TrialStatusSchema,
  worker: Nullable(Type.String()),
  backend: Nullable(Type.String()),
  paramCount: Nullable(Type.Integer()),
  epochsTrained: Type.Integer(),
  bestEpoch: Nullable(Type.Integer()),
  valAuc: Nullable(Type.Number()),
  valPrAuc: Nullable(Type.Number()),
  valLoss: Nullable(Type.Number()),
  inferenceMsPer1k: Nullable(
    Type.Number({ description: "Forward-pass milliseconds per 1,000 validation sequences of the trained model, on the trial's backend (steady state, measured during validation)" }),
  ),
  trainSeconds: Nullable(Type.Number({ description: 'Seconds of all epochs trained' })),
  paretoRank: Nullable(Type.Integer({ description: 'Sweeps with several objectives or constraints: 1 = on the Pareto front; null otherwise or when unmeasured' })),
  feasible: Nullable(Type.Boolean({ description: 'Sweeps with constraints or several objectives: meets every constraint; null otherwise or when unmeasured' })),
  durationSeconds: Nullable(Type.Number({ description: 'Wall-clock seconds from start to finish (null until finished)' })),
  failureReason: Nullable(Type.String()),
  startedAt: Nullable(Time),
  finishedAt: Nullable(Time),
  label: Type.String({ description: 'The trial number and its searched values, e.g. "#3 convFilters=8 learningRate=3e-3": a label for charts' }),
};
/** Searched parameters are extra columns `param_<name>`, typed as `parameters` says. */
export const ParamColumnSchema = Type.Union([Type.Number(), Type.String(), Type.Boolean(), Type.Null()]);
const paramColumns = { patternProperties: { '^param_': ParamColumnSchema } };
export const TrialSchema = Type.Object(trialFields, paramColumns);
export const RankedTrialSchema = Type.Object({ rank: Type.Integer(), ...trialFields }, paramColumns);

export const SweepListSchema = Type.Object({ sweeps: Type.Array(SweepSummarySchema) });
export const StateCountsSchema = Type.Array(Type.Object({ state: TrialStatusSchema, trials: Type.Integer() }));
export const SweepDetailSchema = Type.Object({ ...SweepSummarySchema.properties, parameters: Type.Array(SearchedParameterSchema), states: StateCountsSchema });
export const SweepStatesSchema = Type.Object({ sweepId: Type.String(), states: StateCountsSchema });
export const ParametersSchema = Type.Object({ sweepId: Type.String(), parameters: Type.Array(SearchedParameterSchema) });
export const TrialsSchema = Type.Object({ sweepId: Type.String(), parameters: Type.Array(SearchedParameterSchema), trials: Type.Array(TrialSchema) });
export const LeaderboardSchema = Type.Object({ sweepId: Type.String(), parameters: Type.Array(SearchedParameterSchema), trials: Type.Array(RankedTrialSchema) });
const TrialMetricSchema = Type.Enum(TRIAL_METRICS);
export const ParetoSchema = Type.Object({
  sweepId: Type.String(),
  objectives: Type.Array(Type.Object({ metric: TrialMetricSchema, mode: Type.Enum(['max', 'min']) })),
  constraints: Type.Array(Type.Object({ metric: TrialMetricSchema, min: Type.Optional(Type.Number()), max: Type.Optional(Type.Number()) })),
  trials: Type.Array(RankedTrialSchema),
});

const ParetoPointSchema = Type.Object({
  trial: Type.Integer(),
  label: Type.String(),
  x: Type.Number({ description: "The trial's value of the x objective" }),
  y: Type.Number({ description: "The trial's value of the y objective" }),
  paretoRank: Type.Integer({ description: '1 = on the Pareto front' }),
  feasible: Type.Boolean({ description: 'Meets every constraint' }),
  violation: Nullable(Type.Number({ description: 'How far outside the constraints, summed (0 = feasible; null when a constrained metric was not measured)' })),
  group: Type.Enum(['front', 'dominated', 'infeasible'], { description: "'infeasible' breaks a constraint; 'front': feasible and Pareto rank 1; 'dominated': the other feasible trials" }),
});
export const ParetoScatterSchema = Type.Object({
  sweepId: Type.String(),
  axes: Nullable(
    Type.Object(
      { x: Type.Object({ metric: TrialMetricSchema, mode: Type.Enum(['max', 'min']) }), y: Type.Object({ metric: TrialMetricSchema, mode: Type.Enum(['max', 'min']) }) },
      { description: 'y: the first objective; x: the second (with one objective: the first other constrained metric, else params); null for a single objective without constraints' },
    ),
  ),
  points: Type.Array(ParetoPointSchema, { description: 'Every finished trial with both values measured, leaderboard order' }),
  front: Type.Array(ParetoPointSchema, { description: 'The Pareto front (rank 1, as GET /pareto lists it) by x ascending: draw it joined' }),
});

export const CurveMetricSchema = Type.Enum(CURVE_METRICS);
export const CurvePointSchema = Type.Object({
  trialId: Type.String(),
  trial: Type.Integer(),
  label: Type.String(),
  epoch: Type.Integer(),
  metric: CurveMetricSchema,
  value: Type.Number(),
  time: Time,
});
export const CurvesSchema = Type.Object({ points: Type.Array(CurvePointSchema) });

export const ParameterEffectSchema = Type.Object({
  parameter: Type.String(),
  value: Type.String({ description: 'The value, or a bin like "[0.001, 0.003)" for a numeric parameter with more distinct values than bins' }),
  order: Nullable(Type.Number({ description: "Sort key: the value or the bin's lower edge, when numeric" })),
  trials: Type.Integer(),
  withResult: Type.Integer({ description: 'Trials of this value with a val AUC' }),
  failed: Type.Integer(),
  bestValAuc: Nullable(Type.Number()),
  meanValAuc: Nullable(Type.Number()),
});
export const EffectsSchema = Type.Object({ sweepId: Type.String(), parameters: Type.Array(SearchedParameterSchema), effects: Type.Array(ParameterEffectSchema) });

export const BestSoFarPointSchema = Type.Object({ time: Time, trialId: Type.String(), trial: Type.Integer(), valAuc: Type.Number(), bestValAuc: Type.Number() });
export const BestSoFarSchema = Type.Object({ sweepId: Type.String(), points: Type.Array(BestSoFarPointSchema) });

export const ImportanceSchema = Type.Object({
  sweepId: Type.String(),
  method: Type.Enum(IMPORTANCE_METHODS),
  metric: Type.Enum(['val_auc', 'val_pr_auc', 'val_loss']),
  mode: Type.Enum(['max', 'min']),
  trials: Type.Integer({ description: 'Completed trials with a finite objective value, the ones the importances are computed from' }),
  importances: Type.Record(Type.String(), Type.Number(), { description: 'Parameter -> importance, summing to 1, largest first' }),
  ranking: Type.Array(Type.Object({ parameter: Type.String(), importance: Type.Number() }), { description: 'The same, as rows for charts' }),
});

export const ParallelCoordinatesSchema = Type.Object({
  sweepId: Type.String(),
  method: Type.Enum(IMPORTANCE_METHODS),
  metric: Type.Enum(['val_auc', 'val_pr_auc', 'val_loss']),
  axes: Type.Array(Type.Object({ axis: Type.Integer(), parameter: Type.String(), importance: Type.Number() }), { description: 'Most important parameter first' }),
  lines: Type.Array(
    Type.Object({
      trial: Type.Integer(),
      label: Type.String(),
      axis: Type.Integer(),
      parameter: Type.String(),
      value: Type.String(),
      position: Type.Number({ description: "The value's place on its axis: 0 (low, or the first choice) to 1" }),
      objective: Type.Number(),
    }),
    { description: 'One row per completed trial and axis' },
  ),
  pair: Nullable(Type.Object({ x: Type.String(), y: Type.String() }, { description: 'The two most important parameters' })),
  pairPoints: Type.Array(Type.Object({ trial: Type.Integer(), label: Type.String(), x: Type.Number(), y: Type.Number(), xValue: Type.String(), yValue: Type.String(), objective: Type.Number() })),
});

export const WorkerActivitySchema = Type.Object({
  worker: Type.String(),
  trials: Type.Integer(),
  epochs: Type.Integer(),
  busySeconds: Type.Number(),
  samplesPerSec: Nullable(Type.Number()),
  backends: Type.String(),
  firstSeen: Time,
  lastSeen: Time,
});
export const WorkersSchema = Type.Object({ workers: Type.Array(WorkerActivitySchema) });

export const ThroughputPointSchema = Type.Object({ time: Time, worker: Type.String(), backend: Type.String(), trialId: Type.String(), epoch: Type.Integer(), samplesPerSec: Type.Number() });
export const ThroughputSchema = Type.Object({ points: Type.Array(ThroughputPointSchema) });

export const HealthSchema = Type.Object({ status: Type.Enum(['ok', 'unavailable']), database: Type.String(), schemaVersion: Nullable(Type.Integer()) });
export const IndexSchema = Type.Object({ service: Type.String(), version: Type.String(), openapi: Type.String() });

// ---- requests ----

export const SweepParams = Type.Object({ sweepId: Type.String({ minLength: 1, maxLength: 200, description: 'A sweep id, e.g. sweep-quickstart-1a2b3c' }) });
const Limit = (description: string, fallback?: number, maximum = 1000) => Type.Integer({ minimum: 1, maximum, ...(fallback === undefined ? {} : { default: fallback }), description });
/** Epoch milliseconds (Grafana's ${__from}) or an ISO 8601 time; checked in routes.ts. */
const TimeParam = (description: string) => Type.String({ maxLength: 40, description: `${description}: epoch milliseconds or ISO 8601` });
const CsvList = (description: string) => Type.String({ maxLength: 4000, description: `${description}, comma-separated` });

export const SweepsQuery = Type.Object({ status: Type.Optional(SweepStatusSchema), limit: Limit('At most this many sweeps, newest first', 100) });
export const TrialsQuery = Type.Object({
  status: Type.Optional(TrialStatusSchema),
  after: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1, description: 'Only trials numbered above this (the next page: the last number of this one)' })),
  limit: Limit('At most this many trials', 1000),
});
export const LeaderboardQuery = Type.Object({ limit: Limit('Top N trials', 10) });
export const SweepCurvesQuery = Type.Object({
  metric: Type.Optional(CsvList(`Metrics (${CURVE_METRICS.join(', ')}); default val_auc`)),
  top: Type.Optional(Limit('Only the best N trials (leaderboard order)')),
  trials: Type.Optional(CsvList(`Only these trial numbers (at most ${MAX_CURVE_TRIALS}); default: the first ${MAX_CURVE_TRIALS}`)),
});
export const CurvesQuery = Type.Object({
  trials: CsvList(`Trial ids (any sweeps; at most ${MAX_CURVE_TRIALS})`),
  metric: Type.Optional(CsvList(`Metrics (${CURVE_METRICS.join(', ')}); default val_auc`)),
});
export const EffectsQuery = Type.Object({
  parameter: Type.Optional(Type.String({ maxLength: 200, description: 'Only this searched parameter' })),
  bins: Type.Integer({ minimum: 2, maximum: 50, default: 8, description: 'Numeric parameters with more distinct values are binned' }),
});
export const ImportanceQuery = Type.Object({
  method: Type.Enum(IMPORTANCE_METHODS, { default: 'ped-anova', description: "Optuna 5's PED-ANOVA (the default) or fANOVA (a seeded random forest)" }),
});
export const WorkersQuery = Type.Object({
  sweep: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Only epochs of this sweep' })),
  from: Type.Optional(TimeParam('Epochs recorded at or after')),
  to: Type.Optional(TimeParam('Epochs recorded at or before')),
});
export const ThroughputQuery = Type.Object({ ...WorkersQuery.properties, limit: Limit('At most this many points, the newest in the window', 10_000, 100_000) });
