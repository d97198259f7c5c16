/**
 * The read-only HTTP API over the results database (Fastify). Every route has JSON Schemas for its
 * request and response (src/api/schemas.ts); /openapi.json is generated from them. Bad query
 * parameters are 400s that name the parameter, an unknown sweep is a 404, and nothing else a client
 * sends can make a 5xx: only a database that stops answering does (503 within seconds, with a
 * message that never carries the connection string).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { redact } from '../config/index.js';
import { isConnectionError } from '../db/postgres-store.js';
import type { ApiOptions } from './options.js';
import { registerRoutes } from './routes.js';

export async function buildApi(options: ApiOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    // A slow client or query holds a socket for a bounded time (the queries' own limit is shorter).
    connectionTimeout: 60_000,
    requestTimeout: 30_000,
    ajv: { customOptions: { coerceTypes: 'array', removeAdditional: true, useDefaults: true, allErrors: false, strictNumbers: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  if (options.hostCheck) app.addHook('onRequest', hostCheck(options.allowedHosts ?? []));
  // Before the token check: a browser's CORS preflight never carries the token.
  if (options.corsOrigins && options.corsOrigins.length > 0) await app.register(cors, { origin: [...options.corsOrigins], methods: ['GET', 'HEAD'] });
  if (options.token) app.addHook('onRequest', bearerCheck(options.token));

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'danq-sweep results API', description: 'Read-only views of sweeps, trials and workers in the results database.', version: options.version },
      components: options.token ? { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } } : {},
      security: options.token ? [{ bearer: [] }] : [],
    },
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err.validation) {
      return reply.status(400).send({ statusCode: 400, error: 'Bad Request', message: validationMessage(err) });
    }
    if (isConnectionError(err) || (err as { code?: string }).code === QUERY_CANCELED) {
      options.log?.(`${request.method} ${request.url.split('?')[0]}: 503, the results database did not answer (${(err as { code: string }).code})`);
      return reply.status(503).send({ statusCode: 503, error: 'Service Unavailable', message: 'the results database is unavailable; try again shortly' });
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status >= 500) {
      options.log?.(`${request.method} ${request.url.split('?')[0]}: ${redact((err as { code?: string }).code ?? err.message)}`);
      return reply.status(500).send({ statusCode: 500, error: 'Internal Server Error', message: 'the results database did not answer; see the server log' });
    }
    return reply.status(status).send({ statusCode: status, error: 'Bad Request', message: err.message });
  });
  app.setNotFoundHandler((request, reply) => reply.status(404).send({ statusCode: 404, error: 'Not Found', message: `no route ${request.method} ${request.url.split('?')[0]} (see /openapi.json)` }));

  // Ajv coerces '1e309' to Infinity and then skips minimum/maximum: refuse non-finite numbers here.
  app.addHook('preHandler', async (request, reply) => {
    for (const [name, value] of Object.entries((request.query ?? {}) as Record<string, unknown>)) {
      if (typeof value === 'number' && !Number.isFinite(value)) {
        return reply.status(400).send({ statusCode: 400, error: 'Bad Request', message: `query parameter '${name}': must be a finite number` });
      }
    }
  });
  registerRoutes(app, options);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.ready();
  return app;
}

/** Fastify's validation error as "query parameter 'limit': must be integer". */
function validationMessage(err: FastifyError): string {
  const where = { querystring: 'query parameter', params: 'path parameter', headers: 'header', body: 'body field' }[err.validationContext ?? 'querystring'];
  const first = err.validation![0]!;
  const missing = (first.params as { missingProperty?: string }).missingProperty;
  const name = missing ?? first.instancePath.replace(/^\//, '').split('/')[0] ?? '';
  const allowed = (first.params as { allowedValues?: unknown[] }).allowedValues;
  return `${where} '${name}': ${missing ? 'required' : first.message}${allowed ? ` (${allowed.join(', ')})` : ''}`;
}

/** SQLSTATE of a statement cut short by statement_timeout. */
const QUERY_CANCELED = '57014';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

function hostCheck(allowedHosts: readonly string[]) {
  const allowed = new Set([...LOOPBACK_NAMES, ...allowedHosts]);
  return async (request: { headers: Record<string, string | string[] | undefined> }, reply: { status(n: number): { send(body: unknown): unknown } }) => {
    const header = typeof request.headers.host === 'string' ? request.headers.host.toLowerCase() : '';
    const name = header.replace(/:\d+$/, '');
    if (!allowed.has(name)) {
      return reply.status(403).send({ statusCode: 403, error: 'Forbidden', message: `Host '${header}' is not a name of this API; add it to SWEEP_API_ALLOWED_HOSTS if it is` });
    }
  };
}

/** Compares digests, so the comparison takes the same time whatever the token's length or content. */
function bearerCheck(token: string) {
  const expected = createHash('sha256').update(token).digest();
  return async (request: { headers: Record<string, string | string[] | undefined> }, reply: { status(n: number): { header(k: string, v: string): { send(body: unknown): unknown } } }) => {
    const header = request.headers.authorization;
    const given = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
    const ok = timingSafeEqual(createHash('sha256').update(given).digest(), expected) && given.length > 0;
    if (!ok) {
      return reply
        .status(401)
        .header('www-authenticate', 'Bearer realm="danq-sweep"')
        .send({ statusCode: 401, error: 'Unauthorized', message: header ? 'Authorization: wrong bearer token' : 'Authorization: expected "Bearer <SWEEP_API_TOKEN>"' });
    }
  };
}
