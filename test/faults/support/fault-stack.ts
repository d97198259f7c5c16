/**
 * A stack of its own for one fault scenario: a real Temporal dev server and a real PostgreSQL, each
 * started by the product's own src/stack code on fixed ports and a persistent data dir, so that a
 * scenario can stop one (a real signal to the real process) and start it again on the same state.
 * Workers are real `sweep worker` processes; the sweep is started with the real CLI.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, type Config } from '../../../src/config/index.js';
import { openTestDb, type TestResultsStore } from '../../support/results-store.js';
import type { ResultsStore } from '../../../src/db/types.js';
import { sleep } from '../../../src/poll.js';
import { freePort } from '../../../src/stack/net.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../../src/stack/postgres.js';
import { startTemporalDevServer, type TemporalDevServer } from '../../../src/stack/temporal.js';
import { runSweepCli, type CliResult } from '../../support/cli.js';
import { trainingStarts } from '../../support/sweep-history.js';
import { startWorkerProcess, type WorkerProcess } from '../../support/worker-process.js';
import type { SweepResult } from '../../../workflows/types.js';

export interface FaultStack {
  dir: string;
  env: NodeJS.ProcessEnv;
  config: Config;
  /** The test's own view of the results (waits out PostgreSQL outages like the product does). */
  db: TestResultsStore;
  client: Client;
  temporal: Restartable;
  postgres: Restartable;
  /** Every worker process started so far (their epoch logs count redone epochs). */
  workers: WorkerProcess[];
  worker(queue: 'train' | 'orchestration' | 'all', concurrency?: number): Promise<WorkerProcess>;
  /** SIGKILLs every worker process still running (between scenarios on one stack). */
  killWorkers(): Promise<void>;
  spec(name: string, spec: object): string;
  sweep(...args: string[]): Promise<CliResult>;
  /** `sweep start SPEC --detach --json`: the sweep id, and when the command was run. */
  startSweep(specFile: string): Promise<{ sweepId: string; startedAt: number }>;
  /** Waits for the sweep workflow's result; returns it and the seconds since startedAt. */
  sweepResult(sweepId: string, startedAt: number): Promise<{ result: SweepResult; wallSeconds: number }>;
  close(): Promise<void>;
}

export interface Restartable {
  /** Stops the server (SIGTERM for Temporal, SIGINT fast shutdown for PostgreSQL) and waits until it is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  pid(): number;
}

export async function openFaultStack(): Promise<FaultStack> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sweep-faults-'));
  const [temporalPort, pgPort] = [await freePort(), await freePort()];
  let temporalServer: TemporalDevServer | undefined;
  let pgServer: EmbeddedPostgres | undefined;
  const temporal: Restartable = {
    async start() {
      temporalServer = await startTemporalDevServer({ dataDir: path.join(dir, 'temporal'), port: temporalPort, uiPort: 0, headless: true });
    },
    async stop() {
      await temporalServer?.stop();
      temporalServer = undefined;
    },
    pid: () => temporalServer!.pid,
  };
  const postgres: Restartable = {
    async start() {
      pgServer = await startEmbeddedPostgres({ dataDir: path.join(dir, 'postgres'), port: pgPort });
    },
    async stop() {
      await pgServer?.stop();
      pgServer = undefined;
    },
    pid: () => pgServer!.pid,
  };
  await Promise.all([temporal.start(), postgres.start()]);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
    TEMPORAL_NAMESPACE: 'default',
    DATABASE_URL: pgServer!.url,
    SWEEP_HOME: path.join(dir, 'home'),
  };
  const config = loadConfig(env);
  const db = await openTestDb(pgServer!.url, { warn: () => {} });
  const connection = await Connection.connect({ address: config.temporalAddress! });
  const client = new Client({ connection, namespace: config.namespace });
  const workers: WorkerProcess[] = [];
  /** What a stuck sweep was doing: its pending activities, its trial rows and each worker's last lines. */
  async function stuckSweepReport(sweepId: string): Promise<string> {
    const within = <T>(p: Promise<T>, what: string) =>
      Promise.race([p.then(String, (err: unknown) => `${what} failed: ${(err as Error).message}`), sleep(10_000).then(() => `${what}: no answer in 10 s`)]);
    const pending = within(
      client.workflow
        .getHandle(sweepId)
        .describe()
        .then((d) =>
          JSON.stringify(
            (d.raw.pendingActivities ?? []).map((a) => ({ id: a.activityId, type: a.activityType?.name, state: a.state, attempt: a.attempt, lastFailure: a.lastFailure?.message })),
            null,
            1,
          ),
        ),
      'describe',
    );
    const trials = within(
      db.listTrials(sweepId).then((ts) => ts.map((t) => `${t.id} ${t.status} epochs ${t.epochsTrained} attempts ${t.attempts}`).join('\n')),
      'listTrials',
    );
    const tails = workers.map((w) => `--- worker ${w.identity} (last 40 lines):\n${w.output().trim().split('\n').slice(-40).join('\n')}`);
    return [`pending activities: ${await pending}`, `trials:\n${await trials}`, ...tails].join('\n');
  }
  return {
    dir,
    env,
    config,
    db,
    client,
    temporal,
    postgres,
    workers,
    async worker(queue, concurrency = 1) {
      const worker = await startWorkerProcess({ env, cwd: dir, queue, concurrency });
      workers.push(worker);
      return worker;
    },
    async killWorkers() {
      for (const w of workers) w.kill('SIGKILL', { group: true });
      await Promise.all(workers.map((w) => w.exited));
    },
    spec(name, spec) {
      const file = path.join(dir, `${name}.json`);
      writeFileSync(file, JSON.stringify(spec, null, 2));
      return file;
    },
    sweep: (...args) => runSweepCli(args, { env, cwd: dir }),
    async startSweep(specFile) {
      const startedAt = Date.now();
      const started = await runSweepCli(['start', specFile, '--detach', '--json'], { env, cwd: dir });
      if (started.code !== 0) throw new Error(`sweep start exited ${started.code}:\n${started.stderr}`);
      return { sweepId: (JSON.parse(started.stdout) as { sweepId: string }).sweepId, startedAt };
    },
    async sweepResult(sweepId, startedAt) {
      const handle = client.workflow.getHandle(sweepId);
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timed out'>((resolve) => (timer = setTimeout(() => resolve('timed out'), SWEEP_RESULT_TIMEOUT_MS)));
      const result = await Promise.race([handle.result() as Promise<SweepResult>, timedOut]).finally(() => clearTimeout(timer));
      if (result === 'timed out') throw new Error(`sweep ${sweepId} did not end within ${SWEEP_RESULT_TIMEOUT_MS / 1000} s\n${await stuckSweepReport(sweepId)}`);
      return { result, wallSeconds: (Date.now() - startedAt) / 1000 };
    },
    async close() {
      for (const w of workers) w.kill('SIGKILL', { group: true });
      await Promise.all(workers.map((w) => w.exited));
      await connection.close();
      await db.close();
      await temporal.stop();
      await postgres.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every scenario's sweep ends in well under this; past it the test fails with what the sweep was doing instead of hanging. */
const SWEEP_RESULT_TIMEOUT_MS = 8 * 60_000;

/** The scenarios' sweep: small enough for seconds per epoch, long enough to be interrupted mid-trial. */
export const STANDARD_EPOCHS = 5;

export function standardSpec(name: string, overrides: Record<string, unknown> = {}) {
  return {
    name,
    dataset: { format: 'synthetic', samples: 1200, validFraction: 0.3, seed: 3 },
    model: { preset: 'danq-lite', seqLen: 60, convFilters: 8, convKernel: 9, poolSize: 4, rnnUnits: 8, denseUnits: 8 },
    space: { learningRate: [0.005, 0.01, 0.02] },
    strategy: { type: 'grid' },
    training: { epochs: STANDARD_EPOCHS, batchSize: 32, seed: 1 },
    maxConcurrentTrials: 2,
    ...overrides,
  };
}

/** Polls until `probe` returns a value other than undefined. */
export { until } from '../../integration/support/until.js';

export { sleep };

/** Epoch rows recorded so far over the sweep's trials. */
export async function recordedEpochs(db: ResultsStore, sweepId: string): Promise<number> {
  const trials = await db.listTrials(sweepId);
  return trials.reduce((n, t) => n + t.epochsTrained, 0);
}

/** The highest attempt of a trial's training activity, from its sweep's workflow history. */
export async function trainingAttempts(client: Client, sweepId: string, trialId: string): Promise<number> {
  return Math.max(0, ...(await trainingStarts(client, sweepId, trialId)).map((s) => s.attempt ?? 0));
}
