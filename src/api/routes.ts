/** The API's routes: each validates its request, calls one read-model view, and answers with its schema. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Static } from 'typebox';
import * as read from '../db/read-model.js';
import { CURVE_METRICS, MAX_CURVE_TRIALS, type CurveMetric } from '../domain/metrics.js';
import * as S from './schemas.js';
import type { ApiOptions } from './options.js';

/** A client error that names its parameter; the error handler sends it as a 400. */
class BadParameter extends Error {
  readonly statusCode = 400;
  constructor(name: string, problem: string) {
    super(`query parameter '${name}': ${problem}`);
  }
}

function notFound(reply: FastifyReply, sweepId: string) {
  return reply.status(404).send({ statusCode: 404, error: 'Not Found', message: `no sweep '${sweepId}' (GET /sweeps lists them)` });
}

const errors = { 400: S.ErrorSchema, 404: S.ErrorSchema };

function csv(value: string | undefined): string[] | undefined {
  return value === undefined
    ? undefined
    : value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
}

function metricsOf(value: string | undefined): CurveMetric[] {
  const names = csv(value) ?? ['val_auc'];
  if (names.length === 0) throw new BadParameter('metric', `expected one or more of ${CURVE_METRICS.join(', ')}`);
  for (const m of names) if (!(CURVE_METRICS as readonly string[]).includes(m)) throw new BadParameter('metric', `unknown metric '${m}'; expected ${CURVE_METRICS.join(', ')}`);
  return [...new Set(names)] as CurveMetric[];
}

function timeOf(name: string, value: string | undefined): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const date = /^-?\d+$/.test(value) ? new Date(Number(value)) : /^\d{4}-\d{2}-\d{2}/.test(value) ? new Date(value) : new Date(NaN);
  if (Number.isNaN(date.getTime())) throw new BadParameter(name, `expected epoch milliseconds or an ISO 8601 time, got '${value}'`);
  return date;
}

export function registerRoutes(app: FastifyInstance, options: ApiOptions): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const src = options.read;

  api.get('/', { schema: { summary: 'What this service is (the JSON API data source tests its URL with this)', response: { 200: S.IndexSchema } } }, async () => ({
    service: 'danq-sweep results API',
    version: options.version,
    openapi: '/openapi.json',
  }));

  api.get('/health', { schema: { summary: 'Checks the database', response: { 200: S.HealthSchema, 503: S.HealthSchema } } }, async (_request, reply) => {
    const db = await read.checkDatabase(src);
    if (db.ok) return { status: 'ok' as const, database: 'ok', schemaVersion: db.schemaVersion };
    return reply.status(503).send({ status: 'unavailable' as const, database: db.error, schemaVersion: null });
  });

  api.get('/sweeps', { schema: { summary: 'Sweeps, newest first', querystring: S.SweepsQuery, response: { 200: S.SweepListSchema, ...errors } } }, async (request) => ({
    sweeps: await read.listSweepSummaries(src, request.query),
  }));

  api.get(
    '/sweeps/:sweepId',
    { schema: { summary: 'One sweep: status, counts by state, best val AUC, searched parameters', params: S.SweepParams, response: { 200: S.SweepDetailSchema, ...errors } } },
    async (request, reply) => {
      const { sweepId } = request.params;
      const sweep = await src.store.getSweep(sweepId);
      if (!sweep) return notFound(reply, sweepId);
      const [summary, parameters] = await Promise.all([read.getSweepSummary(src, sweepId), read.sweepParameters(src, sweep)]);
      if (!summary) return notFound(reply, sweepId);
      return { ...summary, parameters, states: read.stateCounts(summary) };
    },
  );

  api.get('/sweeps/:sweepId/states', { schema: { summary: 'Trials per state, long form', params: S.SweepParams, response: { 200: S.SweepStatesSchema, ...errors } } }, async (request, reply) => {
    const summary = await read.getSweepSummary(src, request.params.sweepId);
    if (!summary) return notFound(reply, request.params.sweepId);
    return { sweepId: summary.sweepId, states: read.stateCounts(summary) };
  });

  api.get(
    '/sweeps/:sweepId/parameters',
    { schema: { summary: 'The searched parameters and their types', params: S.SweepParams, response: { 200: S.ParametersSchema, ...errors } } },
    async (request, reply) => {
      const sweep = await src.store.getSweep(request.params.sweepId);
      return sweep ? { sweepId: sweep.id, parameters: await read.sweepParameters(src, sweep) } : notFound(reply, request.params.sweepId);
    },
  );

  api.get(
    '/sweeps/:sweepId/trials',
    { schema: { summary: 'Trials by number; each searched parameter is a column param_<name>', params: S.SweepParams, querystring: S.TrialsQuery, response: { 200: S.TrialsSchema, ...errors } } },
    async (request, reply) => (await read.sweepTrials(src, request.params.sweepId, request.query)) ?? notFound(reply, request.params.sweepId),
  );

  api.get(
    '/sweeps/:sweepId/leaderboard',
    {
      schema: {
        summary:
          "Top N trials by the sweep's best-model rule (val ROC AUC, then fewer parameters, then the earlier trial; with several objectives or constraints: Pareto rank, then the first objective)",
        params: S.SweepParams,
        querystring: S.LeaderboardQuery,
        response: { 200: S.LeaderboardSchema, ...errors },
      },
    },
    async (request, reply) => (await read.leaderboard(src, request.params.sweepId, request.query.limit)) ?? notFound(reply, request.params.sweepId),
  );

  api.get(
    '/sweeps/:sweepId/pareto',
    {
      schema: {
        summary: 'The Pareto front of a sweep with several objectives or constraints (feasible trials first), best on the first objective first; empty for a single objective',
        params: S.SweepParams,
        response: { 200: S.ParetoSchema, ...errors },
      },
    },
    async (request, reply) => (await read.paretoFront(src, request.params.sweepId)) ?? notFound(reply, request.params.sweepId),
  );

  api.get(
    '/sweeps/:sweepId/pareto/scatter',
    {
      schema: {
        summary: 'The two main objectives of every measured trial (an XY chart: x, y, group front/dominated/infeasible) and the front to join; empty for a single objective',
        params: S.SweepParams,
        response: { 200: S.ParetoScatterSchema, ...errors },
      },
    },
    async (request, reply) => (await read.paretoScatter(src, request.params.sweepId)) ?? notFound(reply, request.params.sweepId),
  );

  api.get(
    '/sweeps/:sweepId/curves',
    { schema: { summary: 'Learning curves, long form (trial, epoch, metric, value, time)', params: S.SweepParams, querystring: S.SweepCurvesQuery, response: { 200: S.CurvesSchema, ...errors } } },
    async (request, reply) => {
      const { sweepId } = request.params;
      const metrics = metricsOf(request.query.metric);
      const numbers = csv(request.query.trials);
      if (numbers?.some((n) => !/^\d{1,9}$/.test(n))) throw new BadParameter('trials', `expected trial numbers like 1,3,4, got '${request.query.trials}'`);
      if (numbers && numbers.length > MAX_CURVE_TRIALS) throw new BadParameter('trials', `expected at most ${MAX_CURVE_TRIALS} trial numbers, comma-separated`);
      if (numbers && request.query.top !== undefined) throw new BadParameter('top', 'give either top or trials, not both');
      if (!(await src.store.getSweep(sweepId))) return notFound(reply, sweepId);
      const trialIds = numbers?.map((n) => `${sweepId}-trial-${Number(n)}`);
      return { points: await read.learningCurves(src, trialIds ? { trialIds, metrics } : { sweepId, top: request.query.top, metrics }) };
    },
  );

  api.get(
    '/curves',
    { schema: { summary: 'Learning curves of the given trials (any sweeps), long form', querystring: S.CurvesQuery, response: { 200: S.CurvesSchema, ...errors } } },
    async (request) => {
      const trialIds = csv(request.query.trials)!;
      if (trialIds.length === 0 || trialIds.length > MAX_CURVE_TRIALS) throw new BadParameter('trials', `expected 1 to ${MAX_CURVE_TRIALS} trial ids, comma-separated`);
      return { points: await read.learningCurves(src, { trialIds, metrics: metricsOf(request.query.metric) }) };
    },
  );

  api.get(
    '/sweeps/:sweepId/effects',
    {
      schema: { summary: 'Per searched parameter: value (or bin) -> trials, best and mean val AUC', params: S.SweepParams, querystring: S.EffectsQuery, response: { 200: S.EffectsSchema, ...errors } },
    },
    async (request, reply) => {
      const { sweepId } = request.params;
      const result = await read.parameterEffects(src, sweepId, request.query);
      if (!result) return notFound(reply, sweepId);
      const { parameter } = request.query;
      if (parameter !== undefined && !result.parameters.some((p) => p.name === parameter)) {
        throw new BadParameter('parameter', `${sweepId} searches no '${parameter}'; it searches ${result.parameters.map((p) => p.name).join(', ') || 'nothing'}`);
      }
      return result;
    },
  );

  api.get(
    '/sweeps/:sweepId/best-so-far',
    { schema: { summary: 'Best val ROC AUC so far, stepping at each trial finish', params: S.SweepParams, response: { 200: S.BestSoFarSchema, ...errors } } },
    async (request, reply) => {
      const points = await read.bestSoFar(src, request.params.sweepId);
      return points ? { sweepId: request.params.sweepId, points } : notFound(reply, request.params.sweepId);
    },
  );

  api.get(
    '/sweeps/:sweepId/importance',
    {
      schema: {
        summary: "Which searched parameters mattered for the sweep's objective, from its completed trials (normalised to sum 1, largest first)",
        params: S.SweepParams,
        querystring: S.ImportanceQuery,
        response: { 200: S.ImportanceSchema, ...errors, 422: S.ErrorSchema },
      },
    },
    async (request, reply) => (await read.sweepImportance(src, request.params.sweepId, request.query.method)) ?? notFound(reply, request.params.sweepId),
  );

  api.get(
    '/sweeps/:sweepId/parallel-coordinates',
    {
      schema: {
        summary: 'Completed trials on one axis per searched parameter (most important first), and on the two most important parameters, with their objective value',
        params: S.SweepParams,
        querystring: S.ImportanceQuery,
        response: { 200: S.ParallelCoordinatesSchema, ...errors, 422: S.ErrorSchema },
      },
    },
    async (request, reply) => (await read.parallelCoordinates(src, request.params.sweepId, request.query.method)) ?? notFound(reply, request.params.sweepId),
  );

  const windowOf = async (query: Static<typeof S.WorkersQuery>, reply: FastifyReply): Promise<read.TimeWindow | undefined> => {
    const window = { sweepId: query.sweep, from: timeOf('from', query.from), to: timeOf('to', query.to) };
    if (query.sweep !== undefined && !(await src.store.getSweep(query.sweep))) {
      await notFound(reply, query.sweep);
      return undefined;
    }
    return window;
  };

  api.get(
    '/workers',
    { schema: { summary: 'Per worker: trials, epochs, busy seconds, mean samples/s', querystring: S.WorkersQuery, response: { 200: S.WorkersSchema, ...errors } } },
    async (request, reply) => {
      const window = await windowOf(request.query, reply);
      return window && { workers: await read.workerActivity(src, window) };
    },
  );

  api.get(
    '/workers/throughput',
    { schema: { summary: 'Samples/s per epoch over time, with worker and backend', querystring: S.ThroughputQuery, response: { 200: S.ThroughputSchema, ...errors } } },
    async (request, reply) => {
      const window = await windowOf(request.query, reply);
      return window && { points: await read.throughput(src, window, request.query.limit) };
    },
  );
}
