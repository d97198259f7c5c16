// Scenario: PostgreSQL stopped under a running `sweep serve` (the real CLI), then started again.
// The API answers every route at once while the database is down: 503 with a JSON error (never a
// hang, never the training workers' "waiting for it" wording), and answers 200 again as soon as
// the database is back, without a restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { sweepBin } from '../support/cli.js';
import { openFaultStack, type FaultStack } from './support/fault-stack.js';
import { recordScenario } from './support/invariants.js';

/** "Within a few seconds": above the read-only store's 3 s connect timeout, far below a hang. */
const ANSWER_WITHIN_MS = 6_000;
const ROUTES = ['/sweeps', '/sweeps/sweep-nope', '/sweeps/sweep-nope/trials', '/workers', '/workers/throughput', '/curves?trials=x-trial-1'];

let stack: FaultStack;
let serve: ChildProcess;
let apiUrl: string;
let serveStderr = '';
before(async () => {
  stack = await openFaultStack();
  serve = spawn(process.execPath, [sweepBin, 'serve', '--port', '0'], { env: stack.env, cwd: stack.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  serve.stderr!.on('data', (chunk: Buffer) => (serveStderr += chunk.toString()));
  for await (const line of createInterface({ input: serve.stdout! })) {
    const url = /^danq-sweep API: (http:\/\/\S+)/.exec(line)?.[1];
    if (url) {
      apiUrl = url;
      break;
    }
  }
  assert.ok(apiUrl, `sweep serve printed its URL; stderr:\n${serveStderr}`);
});
after(async () => {
  serve?.kill('SIGINT');
  await stack?.close();
});

async function get(path: string): Promise<{ status: number; body: { message?: string } }> {
  const response = await fetch(apiUrl + path, { signal: AbortSignal.timeout(ANSWER_WITHIN_MS) });
  return { status: response.status, body: (await response.json()) as { message?: string } };
}

test('PostgreSQL down under the API: 503 with a JSON error on every route within seconds, 200 at once when it is back', async () => {
  assert.equal((await get('/sweeps')).status, 200);
  const startedAt = Date.now();
  await stack.postgres.stop();
  for (const path of ['/health', ...ROUTES]) {
    const { status, body } = await get(path);
    assert.equal(status, 503, path);
    if (path !== '/health') assert.equal(body.message, 'the results database is unavailable; try again shortly', path);
  }
  await stack.postgres.start();
  for (const path of ['/sweeps', '/health', '/workers']) assert.equal((await get(path)).status, 200, `${path} right after the database is back`);
  assert.doesNotMatch(serveStderr, /training goes on|waiting for it/);
  assert.match(serveStderr, /503, the results database did not answer/);
  recordScenario({
    scenario: 'api postgres down',
    fault: 'PostgreSQL stopped under sweep serve',
    epochsRedone: 0,
    wallSeconds: (Date.now() - startedAt) / 1000,
    notes: `${ROUTES.length + 1} routes answered 503, then 200`,
  });
});
