// Two training workers on two "hosts" with nothing shared but Temporal, PostgreSQL and
// an S3 server. Each host is a network namespace made by this test (a private /30 between it and
// this machine; forwarders on the host side reach the three services), with its own SWEEP_HOME
// and dataset cache. The worker that runs the trial is SIGKILLed mid-trial; the trial resumes on
// the other host from the checkpoint in object storage. Without root (no namespaces) the same test
// runs the workers as plain processes with separate directories, and says so.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { openArtifactStore } from '../../src/artifacts/index.js';
import { loadConfig } from '../../src/config/index.js';
import { openTestDb, type EpochRow, type TestResultsStore } from '../support/results-store.js';
import { splitHostPort } from '../../src/stack/net.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { startWorkers, type WorkerPool } from '../../workers/index.js';
import { runSweepCli, sweepBin } from '../support/cli.js';
import { createFreshDatabase, type FreshDatabase } from './support/fresh-database.js';
import { createHosts, forward, netnsUnavailable, removeHosts, type Forwarder, type TestHost } from './support/netns.js';
import { startS3Server, type S3TestServer } from './support/s3-server.js';
import { writeResumeSpec } from './support/resume-spec.js';
import { until } from './support/until.js';

const EPOCHS = 10;
const noNetns = netnsUnavailable();
if (noNetns) console.log(`# multihost: network namespaces unavailable (${noNetns}); running the workers as separate processes with separate directories instead`);

let database: FreshDatabase;
let s3: S3TestServer;
let dir: string;
let env: NodeJS.ProcessEnv;
let db: TestResultsStore;
let orchestration: WorkerPool;
let connection: Connection;
let client: Client;
let hosts: (TestHost | undefined)[] = [undefined, undefined];
const forwarders: Forwarder[] = [];
const workers: ChildProcess[] = [];
const artifacts = 's3://sweep-artifacts/multihost/checkpoints';
const models = 's3://sweep-artifacts/multihost/models';

before(async () => {
  database = await createFreshDatabase('multihost');
  s3 = await startS3Server();
  dir = mkdtempSync(path.join(tmpdir(), 'sweep-multihost-'));
  const suffix = randomBytes(4).toString('hex');
  // The host side: CLI and orchestration worker. No SWEEP_ARTIFACTS folder is shared with the workers.
  env = {
    ...process.env,
    ...s3.env,
    DATABASE_URL: database.url,
    SWEEP_HOME: path.join(dir, 'control'),
    SWEEP_ARTIFACTS: artifacts,
    SWEEP_MODELS: models,
    SWEEP_QUEUE: `sweep-${suffix}`,
    SWEEP_TRAIN_QUEUE: `sweep-train-${suffix}`,
  };
  const config = loadConfig(env);
  db = await openTestDb(database.url);
  orchestration = await startWorkers({ config, temporalAddress: config.temporalAddress!, databaseUrl: database.url, queues: ['orchestration'], concurrency: 1, backend: 'auto' });
  connection = await Connection.connect({ address: config.temporalAddress! });
  client = new Client({ connection, namespace: config.namespace });
  if (!noNetns) hosts = createHosts(2);
});

after(async () => {
  for (const child of workers) killGroup(child, 'SIGKILL');
  await Promise.all(forwarders.map((f) => f.close()));
  removeHosts();
  await orchestration?.shutdown();
  await connection?.close();
  await db?.close();
  await database?.drop();
  await s3?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    /* already gone */
  }
}

const hostPort = (address: string) => {
  const { host, port } = splitHostPort(address);
  return { host: host === 'localhost' ? '127.0.0.1' : host, port };
};

/** The worker's view of the three services: through forwarders on its namespace's host address. */
async function servicesFor(host: TestHost | undefined): Promise<NodeJS.ProcessEnv> {
  const temporal = env.TEMPORAL_ADDRESS!;
  const pg = new URL(env.DATABASE_URL!);
  const s3Url = new URL(s3.endpoint);
  if (!host) return { TEMPORAL_ADDRESS: temporal, DATABASE_URL: env.DATABASE_URL, SWEEP_S3_ENDPOINT: s3.endpoint };
  const via = async (target: { host: string; port: number }) => {
    const f = await forward(host.hostAddress, target);
    forwarders.push(f);
    return `${host.hostAddress}:${f.port}`;
  };
  const pgAt = await via({ host: pg.hostname === 'localhost' ? '127.0.0.1' : pg.hostname, port: Number(pg.port) });
  const pgUrl = new URL(env.DATABASE_URL!);
  pgUrl.host = pgAt;
  return {
    TEMPORAL_ADDRESS: await via(hostPort(temporal)),
    DATABASE_URL: pgUrl.toString(),
    SWEEP_S3_ENDPOINT: `http://${await via({ host: s3Url.hostname, port: Number(s3Url.port) })}`,
  };
}

/** `sweep worker --queue train` on host `index`: its own SWEEP_HOME and cache, services as that host sees them. */
async function trainWorker(index: number): Promise<{ child: ChildProcess; identity: string; home: string; exited: Promise<void> }> {
  const host = hosts[index];
  const home = path.join(dir, `host-${index}`);
  const workerEnv: NodeJS.ProcessEnv = { ...env, SWEEP_HOME: home, SWEEP_CACHE: path.join(home, 'cache'), ...(await servicesFor(host)) };
  const argv = [...(host?.exec ?? []), process.execPath, sweepBin, 'worker', '--queue', 'train', '--concurrency', '1'];
  // `ip netns exec` execs the command: the child's pid is the worker's, and detached makes it a group leader.
  const child = spawn(argv[0]!, argv.slice(1), { env: workerEnv, cwd: dir, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  workers.push(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const identity = await new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      output += d.toString();
      const match = /^worker (\S+): .*Temporal (\S+)/m.exec(output);
      if (match) {
        if (host) assert.equal(match[2], workerEnv.TEMPORAL_ADDRESS, 'the worker polls through its namespace');
        resolve(match[1]!);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`sweep worker on host ${index} exited (${code}) before it was ready:\n${output}`)));
  });
  return { child, identity, home, exited };
}

test(`a trial resumes on another host from its checkpoint in S3 after its worker is SIGKILLed (${noNetns ? 'separate processes: no network namespaces' : 'two network namespaces'})`, async () => {
  if (!noNetns) {
    // The namespaces reach the forwarded services only: not this machine's loopback services directly.
    const direct = spawn(hosts[0]!.exec[0]!, [
      ...hosts[0]!.exec.slice(1),
      process.execPath,
      '-e',
      `require('net').connect(${hostPort(env.TEMPORAL_ADDRESS!).port}, '127.0.0.1').on('connect', () => process.exit(0)).on('error', () => process.exit(3))`,
    ]);
    assert.equal(await new Promise((r) => direct.once('exit', r)), 3, 'inside a namespace, 127.0.0.1 is its own loopback');
  }
  const file = writeResumeSpec(dir, 'multihost', EPOCHS);
  const first = await trainWorker(0);
  const started = await runSweepCli(['start', file, '--detach', '--json'], { env, cwd: dir });
  assert.equal(started.code, 0, started.stderr);
  const { sweepId } = JSON.parse(started.stdout) as { sweepId: string };
  const trialId = `${sweepId}-trial-1`;

  await until('two recorded epochs', async () => ((await db.trialEpochs(trialId).catch(() => [])).length >= 2 ? true : undefined));
  killGroup(first.child, 'SIGKILL');
  await first.exited;
  const beforeKill: EpochRow[] = await db.trialEpochs(trialId);
  const k = beforeKill.length;
  assert.ok(k >= 2 && k < EPOCHS, `killed after ${k} of ${EPOCHS} epochs, mid-trial`);
  const stored = await readCheckpoint(`${artifacts}/${sweepId}/${trialId}/checkpoint`, s3.options);
  assert.ok(stored && stored.epoch >= k, 'the checkpoint of the last recorded epoch is in S3');

  const second = await trainWorker(1);
  assert.notEqual(second.identity, first.identity);
  const result = (await client.workflow.getHandle(sweepId).result()) as { status: string; best?: { modelPath?: string } };
  assert.equal(result.status, 'completed');

  const trial = await db.getTrial(trialId);
  assert.equal(trial?.status, 'completed');
  assert.equal(trial?.attempts, 2, 'one retry, on the second host');
  assert.equal(trial?.workerIdentity, second.identity);
  const rows = await db.trialEpochs(trialId);
  assert.deepEqual(
    rows.map((e) => e.epoch),
    Array.from({ length: EPOCHS }, (_, i) => i + 1),
    'epochs contiguous: no gap, no duplicate',
  );
  // Resumed, not restarted: the first host's epochs stand untouched, the second host trained only the rest.
  assert.deepEqual(rows.slice(0, k), beforeKill);
  assert.deepEqual(
    rows.slice(k).map((e) => e.workerIdentity),
    Array(EPOCHS - k).fill(second.identity),
  );

  // Artifacts live in S3 only: the best model was exported there by a train worker, no host has an artifacts folder.
  assert.equal(result.best?.modelPath, `${models}/${sweepId}/best`);
  assert.deepEqual(await (await openArtifactStore(models, s3.options)).list(), [`${sweepId}/best/model.json`, `${sweepId}/best/weights.bin`]);
  for (const home of [first.home, second.home, env.SWEEP_HOME!]) {
    assert.ok(!existsSync(path.join(home, 'artifacts')) && !existsSync(path.join(home, 'models')), `nothing under ${home}/artifacts or /models`);
  }
  assert.ok(existsSync(path.join(second.home, 'cache')), 'the second host prepared its own dataset cache');

  killGroup(second.child, 'SIGTERM');
  await second.exited;
});
