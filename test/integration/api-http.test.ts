// The read-only HTTP API on a database filled by a real sweep (2 completed, 2 diverged
// trials): every endpoint's content, 400s that name the parameter, 404s for an unknown sweep, the
// bearer token, CORS only when configured, no password in any answer, and no 5xx under fuzzing
// from the API's own OpenAPI document.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import http from 'node:http';
import { isUserError } from '../../src/errors.js';
import { buildApi, startApi } from '../../src/api/index.js';
import { openReadSource } from '../../src/db/read-model.js';
import { openResultsApi, type ResultsApi } from './support/results-api.js';

let r: ResultsApi;
let sweepId: string;
before(async () => {
  r = await openResultsApi();
  sweepId = r.report.sweepId;
});
after(async () => r?.close());

describe('endpoints on a real sweep', () => {
  it('GET /sweeps: status, strategy, counts by state, best val AUC, times', async () => {
    const { status, body } = await r.get('/sweeps');
    assert.equal(status, 200);
    assert.equal(body.sweeps.length, 1);
    const s = body.sweeps[0];
    assert.equal(s.sweepId, sweepId);
    assert.equal(s.status, 'completed');
    assert.equal(s.strategy, 'grid');
    assert.equal(s.totalTrials, 4);
    assert.deepEqual([s.completed, s.failed, s.pending, s.running], [2, 2, 0, 0]);
    assert.equal(s.bestValAuc, r.report.best!.valAuc);
    assert.equal(s.bestTrialId, r.report.best!.trialId);
    assert.ok(Date.parse(s.createdAt) <= Date.parse(s.finishedAt));
    assert.deepEqual((await r.get('/sweeps?status=running')).body.sweeps, []);
  });

  it('GET /sweeps/:id and /states: the summary plus parameters and long-form state counts', async () => {
    const { body } = await r.get(`/sweeps/${sweepId}`);
    assert.deepEqual(
      body.parameters.map((p: { name: string; type: string }) => [p.name, p.type]),
      [
        ['convFilters', 'number'],
        ['learningRate', 'number'],
      ],
    );
    const states = (await r.get(`/sweeps/${sweepId}/states`)).body.states as { state: string; trials: number }[];
    assert.deepEqual(Object.fromEntries(states.filter((s) => s.trials > 0).map((s) => [s.state, s.trials])), { completed: 2, failed: 2 });
    assert.deepEqual(body.states, states);
  });

  it('GET /sweeps/:id/trials: one typed column per searched parameter, worker, backend, results, failure reason', async () => {
    const { body } = await r.get(`/sweeps/${sweepId}/trials`);
    assert.equal(body.trials.length, 4);
    for (const t of body.trials) {
      const reported = r.report.trials.find((x) => x.trialId === t.trialId)!;
      assert.equal(t.param_convFilters, reported.params.convFilters);
      assert.equal(t.param_learningRate, reported.params.learningRate);
      assert.equal(typeof t.param_convFilters, 'number');
      assert.equal(t.status, reported.status);
      assert.equal(t.valAuc, reported.valAuc);
      assert.ok(t.worker && t.backend, 'worker and backend recorded');
      assert.ok(t.paramCount > 0);
      assert.ok(t.durationSeconds > 0);
      if (t.status === 'failed') assert.match(t.failureReason, /NonFiniteLossError/);
      else assert.equal(t.bestEpoch >= 1 && t.valPrAuc > 0, true);
    }
    assert.equal((await r.get(`/sweeps/${sweepId}/trials?status=failed`)).body.trials.length, 2);
  });

  it("GET /sweeps/:id/leaderboard: ResultsStore.leaderboard's order, the workflow's best first", async () => {
    const { body } = await r.get(`/sweeps/${sweepId}/leaderboard?limit=10`);
    const expected = await r.harness.db.leaderboard(sweepId, 10);
    assert.deepEqual(
      body.trials.map((t: { trialId: string }) => t.trialId),
      expected.map((t) => t.id),
    );
    assert.equal(body.trials[0].trialId, r.report.best!.trialId);
    assert.deepEqual(
      body.trials.map((t: { rank: number }) => t.rank),
      [1, 2],
    );
    assert.equal((await r.get(`/sweeps/${sweepId}/leaderboard?limit=1`)).body.trials.length, 1);
  });

  it('GET /sweeps/:id/curves and /curves: long form (trial, epoch, metric, value, time)', async () => {
    const top = (await r.get(`/sweeps/${sweepId}/curves?top=1&metric=val_auc,val_loss`)).body.points;
    const epochs = await r.harness.db.trialEpochs(r.report.best!.trialId);
    assert.equal(top.length, epochs.length * 2);
    assert.deepEqual(
      top.filter((p: { metric: string }) => p.metric === 'val_auc').map((p: { epoch: number; value: number }) => [p.epoch, p.value]),
      epochs.map((e) => [e.epoch, e.valAuc]),
    );
    const number = Number(r.report.best!.trialId.split('-trial-')[1]);
    const byNumber = (await r.get(`/sweeps/${sweepId}/curves?trials=${number}&metric=val_auc,val_loss`)).body.points;
    assert.deepEqual(byNumber, top);
    const byId = (await r.get(`/curves?trials=${r.report.best!.trialId}&metric=val_auc,val_loss`)).body.points;
    assert.deepEqual(byId, top);
    const all = (await r.get(`/sweeps/${sweepId}/curves`)).body.points;
    // The diverged trials failed inside epoch 1, so only the two good ones have curves.
    assert.equal(new Set(all.map((p: { trialId: string }) => p.trialId)).size, 2);
    const labels = new Map((await r.get(`/sweeps/${sweepId}/trials`)).body.trials.map((t: { trialId: string; label: string }) => [t.trialId, t.label]));
    assert.deepEqual(
      all.map((p: { label: string }) => p.label),
      all.map((p: { trialId: string }) => labels.get(p.trialId)),
      'curves label trials as /trials does',
    );
  });

  it('GET /sweeps/:id/effects: per parameter value -> trials, best and mean val AUC', async () => {
    const { body } = await r.get(`/sweeps/${sweepId}/effects`);
    assert.deepEqual(
      body.effects.map((e: { parameter: string; value: string }) => `${e.parameter}=${e.value}`),
      ['convFilters=4', 'convFilters=8', 'learningRate=3e-3', 'learningRate=1e+30'],
    );
    const lr = body.effects.filter((e: { parameter: string }) => e.parameter === 'learningRate');
    assert.deepEqual([lr[0].trials, lr[0].withResult, lr[0].failed], [2, 2, 0]);
    assert.deepEqual([lr[1].trials, lr[1].withResult, lr[1].failed, lr[1].bestValAuc], [2, 0, 2, null]);
    assert.equal(lr[0].bestValAuc, r.report.best!.valAuc);
    // The mean over the value's trials with a result, as the trial rows give them.
    const aucs: number[] = (await r.get(`/sweeps/${sweepId}/trials`)).body.trials.flatMap((t: { valAuc: number | null }) => (t.valAuc === null ? [] : [t.valAuc]));
    assert.ok(Math.abs(lr[0].meanValAuc - (aucs[0]! + aucs[1]!) / 2) < 1e-12, `mean ${lr[0].meanValAuc} of ${aucs.join(', ')}`);
    const conv = (await r.get(`/sweeps/${sweepId}/effects?parameter=convFilters`)).body.effects;
    assert.equal(conv.length, 2);
    assert.equal((await r.get(`/sweeps/${sweepId}/effects?parameter=convFilters&bins=2`)).body.effects.length, 2);
  });

  it('GET /sweeps/:id/best-so-far: steps up to the best val AUC', async () => {
    const { body } = await r.get(`/sweeps/${sweepId}/best-so-far`);
    assert.equal(body.points.length, 2);
    const values = body.points.map((p: { bestValAuc: number }) => p.bestValAuc);
    assert.deepEqual(
      values,
      [...values].sort((a, b) => a - b),
    );
    assert.equal(values.at(-1), r.report.best!.valAuc);
  });

  it('GET /workers and /workers/throughput: trials, busy seconds, samples/s by backend over time', async () => {
    const workers = (await r.get(`/workers?sweep=${sweepId}`)).body.workers;
    assert.ok(workers.length >= 1);
    const epochs = (await r.get(`/sweeps/${sweepId}/trials`)).body.trials.reduce((n: number, t: { epochsTrained: number }) => n + t.epochsTrained, 0);
    assert.equal(
      workers.reduce((n: number, w: { epochs: number }) => n + w.epochs, 0),
      epochs,
    );
    assert.ok(workers.every((w: { busySeconds: number }) => w.busySeconds > 0));
    const points = (await r.get(`/workers/throughput?sweep=${sweepId}&from=0&to=${Date.now() + 60_000}`)).body.points;
    assert.equal(points.length, epochs);
    assert.ok(points.every((p: { samplesPerSec: number; backend: string }) => p.samplesPerSec > 0 && p.backend));
    assert.deepEqual((await r.get(`/workers/throughput?from=${new Date(Date.now() + 3_600_000).toISOString()}`)).body.points, []);
  });

  it('every list is bounded: a default limit with a maximum, keyset pages of trials, capped trial lists, the newest throughput points', async () => {
    const all = (await r.get(`/sweeps/${sweepId}/trials`)).body.trials as { number: number }[];
    const first = (await r.get(`/sweeps/${sweepId}/trials?limit=2`)).body.trials as { number: number }[];
    const rest = (await r.get(`/sweeps/${sweepId}/trials?after=${first.at(-1)!.number}`)).body.trials as { number: number }[];
    assert.deepEqual(
      [...first, ...rest].map((t) => t.number),
      all.map((t) => t.number),
    );
    assert.equal(first.length, 2);
    assert.equal((await r.get(`/sweeps/${sweepId}/trials?limit=1001`)).status, 400);
    assert.equal((await r.get('/sweeps?limit=1')).body.sweeps.length, 1);
    assert.equal((await r.get('/sweeps?limit=1001')).status, 400);
    const many = Array.from({ length: 201 }, (_, i) => i + 1).join(',');
    const tooMany = await r.get(`/sweeps/${sweepId}/curves?trials=${many}`);
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.body.message, /^query parameter 'trials': expected at most 200/);
    const points = (await r.get('/workers/throughput')).body.points as { time: string }[];
    const newest = (await r.get('/workers/throughput?limit=1')).body.points as { time: string }[];
    assert.deepEqual(newest, points.slice(-1));
    assert.equal((await r.get('/workers/throughput?limit=100001')).status, 400);
  });

  it('GET /sweeps/:id/pareto and /pareto/scatter of a sweep with one objective and no constraints: nothing to draw', async () => {
    assert.deepEqual((await r.get(`/sweeps/${sweepId}/pareto`)).body, { sweepId, objectives: [], constraints: [], trials: [] });
    assert.deepEqual((await r.get(`/sweeps/${sweepId}/pareto/scatter`)).body, { sweepId, axes: null, points: [], front: [] });
  });

  it('GET /health checks the database; GET / and /openapi.json describe the API', async () => {
    assert.deepEqual((await r.get('/health')).body, { status: 'ok', database: 'ok', schemaVersion: (await r.get('/health')).body.schemaVersion });
    assert.ok((await r.get('/health')).body.schemaVersion >= 1);
    assert.equal((await r.get('/')).status, 200);
    const doc = (await r.get('/openapi.json')).body;
    assert.equal(doc.openapi, '3.0.3');
    for (const p of [
      '/sweeps',
      '/sweeps/{sweepId}',
      '/sweeps/{sweepId}/trials',
      '/sweeps/{sweepId}/leaderboard',
      '/sweeps/{sweepId}/curves',
      '/curves',
      '/sweeps/{sweepId}/effects',
      '/sweeps/{sweepId}/best-so-far',
      '/sweeps/{sweepId}/pareto',
      '/sweeps/{sweepId}/pareto/scatter',
      '/workers',
      '/workers/throughput',
      '/health',
    ]) {
      assert.ok(doc.paths[p]?.get?.responses?.['200'], `${p} documented with its 200 response`);
    }
  });
});

describe('bad requests', () => {
  const cases: [string, RegExp][] = [
    ['/sweeps?limit=abc', /query parameter 'limit': must be integer/],
    ['/sweeps?limit=0', /query parameter 'limit': must be >= 1/],
    ['/sweeps?status=bogus', /query parameter 'status'/],
    ['/sweeps/SWEEP/leaderboard?limit=-3', /query parameter 'limit'/],
    ['/sweeps/SWEEP/leaderboard?limit=1e309', /query parameter 'limit': must be a finite number/], // found by the fuzzer below
    ['/sweeps/SWEEP/trials?status=done', /query parameter 'status'/],
    ['/sweeps/SWEEP/curves?metric=accuracy', /query parameter 'metric': unknown metric 'accuracy'/],
    ['/sweeps/SWEEP/curves?trials=1,x', /query parameter 'trials'/],
    ['/sweeps/SWEEP/curves?trials=1&top=2', /query parameter 'top'/],
    ['/curves', /query parameter 'trials': required/],
    ['/curves?trials=,', /query parameter 'trials'/],
    ['/sweeps/SWEEP/effects?parameter=dropout', /query parameter 'parameter': .* searches no 'dropout'; it searches convFilters, learningRate/],
    ['/sweeps/SWEEP/effects?bins=1', /query parameter 'bins'/],
    ['/workers?from=yesterday', /query parameter 'from': expected epoch milliseconds or an ISO 8601 time, got 'yesterday'/],
    ['/workers/throughput?to=2026-13-45', /query parameter 'to'/],
  ];
  for (const [path, message] of cases) {
    it(`${path} -> 400 naming the parameter`, async () => {
      const { status, body } = await r.get(path.replace('SWEEP', sweepId));
      assert.equal(status, 400);
      assert.match(body.message, message);
    });
  }

  it('an unknown sweep is a 404 on every sweep route', async () => {
    for (const route of ['', '/states', '/parameters', '/trials', '/leaderboard', '/curves', '/effects', '/best-so-far', '/pareto', '/pareto/scatter']) {
      const { status, body } = await r.get(`/sweeps/sweep-nope-000000${route}`);
      assert.equal(status, 404, route);
      assert.match(body.message, /no sweep 'sweep-nope-000000'/);
    }
    assert.equal((await r.get('/workers?sweep=sweep-nope')).status, 404);
    assert.equal((await r.get('/no-such-route')).status, 404);
  });

  it('no CORS headers unless configured; SQL-looking input is just a value', async () => {
    const plain = await r.get('/sweeps', { origin: 'http://evil.example' });
    assert.equal(plain.headers.get('access-control-allow-origin'), null);
    const injected = await r.get(`/sweeps/${encodeURIComponent("x' or '1'='1")}/trials`);
    assert.equal(injected.status, 404);
  });
});

describe('security', () => {
  it('SWEEP_API_TOKEN: 401 without or with a wrong bearer token, 200 with it; CORS only for configured origins', async () => {
    const api = await startApi(r.harness.env.DATABASE_URL!, { host: '127.0.0.1', port: 0, token: 's3cret-token', corsOrigins: ['http://localhost:3000'], version: 'test' });
    try {
      const get = (path: string, headers: Record<string, string> = {}) => fetch(api.url + path, { headers });
      assert.equal((await get('/sweeps')).status, 401);
      assert.equal((await get('/sweeps', { authorization: 'Bearer wrong' })).status, 401);
      assert.equal((await get('/sweeps', { authorization: 's3cret-token' })).status, 401);
      assert.equal((await get('/openapi.json')).status, 401);
      const ok = await get('/sweeps', { authorization: 'Bearer s3cret-token', origin: 'http://localhost:3000' });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('access-control-allow-origin'), 'http://localhost:3000');
      const other = await get('/sweeps', { authorization: 'Bearer s3cret-token', origin: 'http://evil.example' });
      assert.equal(other.headers.get('access-control-allow-origin'), null);
      assert.equal((await get('/sweeps', {})).headers.get('www-authenticate'), 'Bearer realm="danq-sweep"');
    } finally {
      await api.close();
    }
  });

  it('a CORS preflight with a token set gets the CORS headers, not a 401 (it never carries the token)', async () => {
    const api = await startApi(r.harness.env.DATABASE_URL!, { host: '127.0.0.1', port: 0, token: 's3cret-token', corsOrigins: ['http://localhost:3000'], version: 'test' });
    try {
      const preflight = await fetch(api.url + '/sweeps', {
        method: 'OPTIONS',
        headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), 'http://localhost:3000');
      assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /GET/);
      assert.equal((await fetch(api.url + '/sweeps', { headers: { origin: 'http://localhost:3000' } })).status, 401, 'the request itself still needs the token');
    } finally {
      await api.close();
    }
  });

  it('a loopback API answers only Host names of this machine or SWEEP_API_ALLOWED_HOSTS (DNS rebinding)', async () => {
    const api = await startApi(r.harness.env.DATABASE_URL!, { host: '127.0.0.1', port: 0, allowedHosts: ['grafana.internal'], version: 'test' });
    const port = new URL(api.url).port;
    const withHost = (host: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const request = http.get({ host: '127.0.0.1', port, path: '/sweeps', headers: { host } }, (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve({ status: response.statusCode!, body }));
        });
        request.on('error', reject);
      });
    try {
      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'grafana.internal:80', 'LOCALHOST']) assert.equal((await withHost(host)).status, 200, host);
      const rebound = await withHost(`attacker.example:${port}`);
      assert.equal(rebound.status, 403);
      assert.match(JSON.parse(rebound.body).message, /SWEEP_API_ALLOWED_HOSTS/);
    } finally {
      await api.close();
    }
  });

  it('refuses a non-loopback --host without a token unless --insecure', async () => {
    await assert.rejects(
      startApi(r.harness.env.DATABASE_URL!, { host: '0.0.0.0', port: 0, version: 'test' }),
      (err: Error) => isUserError(err) && /--host 0\.0\.0\.0.*SWEEP_API_TOKEN.*--insecure/.test(err.message),
    );
    const insecure = await startApi(r.harness.env.DATABASE_URL!, { host: '0.0.0.0', port: 0, insecure: true, version: 'test' });
    await insecure.close();
    const withToken = await startApi(r.harness.env.DATABASE_URL!, { host: '0.0.0.0', port: 0, token: 't', version: 'test' });
    const port = new URL(withToken.url).port;
    try {
      assert.equal((await fetch(`http://127.0.0.1:${port}/sweeps`, { headers: { authorization: 'Bearer t' } })).status, 200, 'no Host check on a non-loopback bind without SWEEP_API_ALLOWED_HOSTS');
    } finally {
      await withToken.close();
    }
  });

  it('binds 127.0.0.1 by default (sweep serve --help) and never shows the database password, even when the database is gone', async () => {
    const password = new URL(r.harness.env.DATABASE_URL!).password;
    const read = await openReadSource(r.harness.env.DATABASE_URL!);
    const lines: string[] = [];
    const app = await buildApi({ read, version: 'test', log: (l) => lines.push(l) });
    await read.sql.end();
    const health = await app.inject({ method: 'GET', url: '/health' });
    assert.equal(health.statusCode, 503);
    const sweeps = await app.inject({ method: 'GET', url: '/sweeps' });
    assert.equal(sweeps.statusCode, 500);
    await app.close();
    await read.store.close();
    if (password) for (const text of [health.body, sweeps.body, ...lines]) assert.ok(!text.includes(password), text);
    for (const path of ['/sweeps', `/sweeps/${sweepId}`, '/health', '/openapi.json', '/workers']) {
      const { text } = await r.get(path);
      if (password) assert.ok(!text.includes(password), path);
      assert.ok(!text.includes('postgres://'), path);
    }
  });
});

/** Bounds of any one answer under fuzzing: a generous multiple of what the test sweep's largest answer needs. */
const MAX_RESPONSE_BYTES = 1 << 20;
const MAX_REQUEST_MS = 10_000;

describe('fuzzing from /openapi.json', () => {
  it('no generated request gets a 5xx', async () => {
    const doc = (await r.get('/openapi.json')).body as { paths: Record<string, { get: { parameters?: { name: string; in: string; schema: { type?: string; enum?: unknown[] } }[] } }> };
    const value = (schema: { type?: string; enum?: unknown[] }) =>
      fc.oneof(
        schema.enum ? fc.constantFrom(...schema.enum.map(String)) : fc.constant('x'),
        fc.integer({ min: -5, max: 2000 }).map(String),
        fc.string({ maxLength: 30 }),
        fc.constantFrom('', '0', '1,2', 'val_auc,val_loss', "' or 1=1 --", '%00', '1e309', 'NaN', new Date().toISOString()),
        // Large values and long lists: they must be refused or bounded, never make the server work without limit.
        fc.oneof(fc.constant(2 ** 31), fc.constant(2 ** 53), fc.constant(1e21), fc.integer({ min: 1001, max: 2 ** 31 })).map(String),
        fc.array(fc.integer({ min: 0, max: 1e9 }), { minLength: 100, maxLength: 3000 }).map((numbers) => numbers.join(',')),
        fc.string({ minLength: 1000, maxLength: 6000 }),
      );
    let requests = 0;
    for (const [template, item] of Object.entries(doc.paths)) {
      const params = item.get.parameters ?? [];
      const query = params.filter((p) => p.in === 'query');
      const request = fc.record({
        sweepId: fc.oneof(fc.constant(sweepId), fc.string({ minLength: 1, maxLength: 40 })),
        query: fc.record(Object.fromEntries(query.map((p) => [p.name, fc.option(value(p.schema), { nil: undefined })])), { requiredKeys: [] }),
        extra: fc.option(fc.tuple(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 10 })), { nil: undefined }),
      });
      await fc.assert(
        fc.asyncProperty(request, async ({ sweepId: id, query: q, extra }) => {
          const search = new URLSearchParams(Object.entries(q).filter((e): e is [string, string] => e[1] !== undefined));
          if (extra) search.append(...extra);
          const url = template.replace('{sweepId}', encodeURIComponent(id)) + (search.size ? `?${search}` : '');
          const response = await fetch(r.api.url + url, { signal: AbortSignal.timeout(MAX_REQUEST_MS) });
          const body = await response.arrayBuffer();
          requests++;
          assert.ok(response.status < 500, `${url} -> ${response.status}`);
          assert.ok(body.byteLength <= MAX_RESPONSE_BYTES, `${url}: ${body.byteLength} bytes`);
        }),
        { numRuns: 40 },
      );
    }
    console.log(`# fuzz: ${requests} requests over ${Object.keys(doc.paths).length} routes, no 5xx`);
    assert.ok(requests >= 40 * Object.keys(doc.paths).length);
  });
});
