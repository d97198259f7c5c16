/**
 * A sweep test bench on the run's real Temporal server and PostgreSQL: a fresh database and task
 * queues per test file, real workers in this process, and the real `sweep` CLI in a child process.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, type Config } from '../../../src/config/index.js';
import { openTestDb, type TestResultsStore } from '../../support/results-store.js';
import { startWorkers, type WorkerPool } from '../../../workers/index.js';
import { createFreshDatabase, type FreshDatabase } from './fresh-database.js';
import { runSweepCli, type CliResult } from '../../support/cli.js';

export interface SweepHarness {
  config: Config;
  env: NodeJS.ProcessEnv;
  dir: string;
  db: TestResultsStore;
  client: Client;
  workers: WorkerPool;
  /** Writes a spec file into the harness folder; returns its path. */
  spec(name: string, spec: object): string;
  sweep(...args: string[]): Promise<CliResult>;
  close(): Promise<void>;
}

/** A tiny, easy synthetic dataset: trials take seconds. */
export const tinyDataset = { format: 'synthetic', samples: 500, validFraction: 0.3, seed: 3 } as const;

/** `env`: extra variables for the workers and the CLI (e.g. SWEEP_ARTIFACTS=s3://...). */
export async function openSweepHarness(options: { concurrency?: number; env?: Record<string, string> } = {}): Promise<SweepHarness> {
  const database: FreshDatabase = await createFreshDatabase('sweep');
  const dir = mkdtempSync(path.join(tmpdir(), 'sweep-it-'));
  const suffix = randomBytes(4).toString('hex');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: database.url,
    SWEEP_HOME: path.join(dir, 'home'),
    SWEEP_QUEUE: `sweep-${suffix}`,
    SWEEP_TRAIN_QUEUE: `sweep-train-${suffix}`,
    ...options.env,
  };
  const config = loadConfig(env);
  const db = await openTestDb(database.url);
  const workers = await startWorkers({
    config,
    temporalAddress: config.temporalAddress!,
    databaseUrl: database.url,
    queues: ['orchestration', 'train'],
    concurrency: options.concurrency ?? 2,
    backend: 'auto',
  });
  const connection = await Connection.connect({ address: config.temporalAddress! });
  return {
    config,
    env,
    dir,
    db,
    client: new Client({ connection, namespace: config.namespace }),
    workers,
    spec(name, spec) {
      const file = path.join(dir, `${name}.json`);
      writeFileSync(file, JSON.stringify(spec, null, 2));
      return file;
    },
    sweep: (...args) => runSweepCli(args, { env, cwd: dir }),
    async close() {
      await workers.shutdown();
      await connection.close();
      await db.close();
      await database.drop();
    },
  };
}
