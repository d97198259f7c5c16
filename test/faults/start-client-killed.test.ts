// Scenario 6: the `sweep start` client SIGKILLed mid-sweep.
//  - Against a cluster (TEMPORAL_ADDRESS, DATABASE_URL, worker processes): the sweep goes on, and
//    `sweep status ID --watch` re-attaches and ends with the leaderboard.
//  - On the embedded stack, where the killed process also ran the workers and owned the servers:
//    `sweep status ID --watch` adopts the orphaned Temporal and PostgreSQL, runs the workers itself,
//    follows the sweep to its end, and then stops both servers (no orphan left running).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sweepBin, runSweepCli } from '../support/cli.js';
import { freePort } from '../../src/stack/net.js';
import { processState } from '../../src/stack/postgres.js';
import { openFaultStack, recordedEpochs, standardSpec, until, type FaultStack } from './support/fault-stack.js';
import { assertSweepInvariants, epochsRedone, recordScenario } from './support/invariants.js';

let stack: FaultStack;
before(async () => (stack = await openFaultStack()));
after(async () => await stack?.close());

/** `sweep start SPEC` in its own process group; resolves once `ready` matches its output. */
function startClient(env: NodeJS.ProcessEnv, spec: string, ready: RegExp) {
  const child = spawn(process.execPath, [sweepBin, 'start', spec], { env, cwd: stack.dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  let output = '';
  const seen = new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString();
      const id = /Started (\S+):/.exec(output)?.[1];
      if (id && ready.test(output)) resolve(id);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(() => reject(new Error(`sweep start exited early:\n${output}`)));
  });
  return { child, exited, seen };
}

test('sweep start SIGKILLed against a cluster: the sweep goes on, sweep status --watch re-attaches', async () => {
  await stack.worker('orchestration');
  await stack.worker('train', 2);
  const startedAt = Date.now();
  const client = startClient(stack.env, stack.spec('client', standardSpec('client')), /Started/);
  const sweepId = await client.seen;
  await until('a recorded epoch', async () => ((await recordedEpochs(stack.db, sweepId)) >= 1 ? true : undefined));
  process.kill(-client.child.pid!, 'SIGKILL');
  assert.equal(await client.exited, 'SIGKILL');

  const watched = await stack.sweep('status', sweepId, '--watch');
  const wallSeconds = (Date.now() - startedAt) / 1000;
  assert.equal(watched.code, 0, watched.stderr);
  assert.match(watched.stdout, new RegExp(`${sweepId}: completed`));
  await assertSweepInvariants(stack.db, stack.client, sweepId);
  recordScenario({ scenario: '6 sweep start SIGKILL', fault: 'sweep start client SIGKILLed (cluster)', epochsRedone: epochsRedone(stack.workers, sweepId), wallSeconds });
  await stack.killWorkers();
});

test('sweep start SIGKILLed on the embedded stack: sweep status --watch serves it to the end and leaves no orphan', async () => {
  const home = path.join(stack.dir, 'embedded');
  const env: NodeJS.ProcessEnv = { ...stack.env, SWEEP_HOME: home, SWEEP_TEMPORAL_PORT: String(await freePort()), SWEEP_UI_PORT: String(await freePort()), SWEEP_PG_PORT: String(await freePort()) };
  delete env.TEMPORAL_ADDRESS;
  delete env.DATABASE_URL;
  const startedAt = Date.now();
  // Killed as soon as the sweep has started: with the compiled step its trials can all finish within one progress line.
  const client = startClient(env, stack.spec('embedded', standardSpec('embedded')), /Started/);
  const sweepId = await client.seen;
  process.kill(-client.child.pid!, 'SIGKILL');
  await client.exited;
  const temporalPid = (JSON.parse(readFileSync(path.join(home, 'stack.json'), 'utf8')) as { temporal: { pid: number } }).temporal.pid;
  const postgresPid = Number(readFileSync(path.join(home, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
  assert.equal(processState(temporalPid), 'running', 'the killed client left Temporal running');
  assert.equal(processState(postgresPid), 'running', 'the killed client left PostgreSQL running');

  const watched = await runSweepCli(['status', sweepId, '--watch'], { env, cwd: stack.dir });
  const wallSeconds = (Date.now() - startedAt) / 1000;
  assert.equal(watched.code, 0, watched.stderr);
  assert.match(watched.stderr, /running the sweep.s workers in this process/, `stdout: ${watched.stdout}`);
  assert.match(watched.stdout, new RegExp(`${sweepId}: completed`));
  assert.notEqual(processState(temporalPid), 'running', 'the adopted Temporal was stopped');
  assert.notEqual(processState(postgresPid), 'running', 'the adopted PostgreSQL was stopped');
  recordScenario({
    scenario: '6 sweep start SIGKILL (embedded)',
    fault: 'embedded sweep start SIGKILLed; status --watch serves it',
    epochsRedone: 0,
    wallSeconds,
    notes: 'redone epochs not counted: in-process workers print no epoch lines',
  });
});
