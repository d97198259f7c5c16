/**
 * The results store as tests open it: the product's store plus the queries only tests make (one
 * trial's row, one trial's epoch rows), on the store's own connection.
 */
import { openDbConnection, type OpenDbOptions } from '../../src/db/postgres-store.js';
import type { ResultsStore, TrialRow } from '../../src/db/types.js';
import type { EpochMetrics } from '../../src/train/types.js';

/** A row of trial_epochs: one epoch's metrics, as recordEpoch stored them. */
export interface EpochRow extends EpochMetrics {
  trialId: string;
  workerIdentity: string | null;
  recordedAt: Date;
}

export interface TestResultsStore extends ResultsStore {
  getTrial(trialId: string): Promise<TrialRow | undefined>;
  /** By epoch. */
  trialEpochs(trialId: string): Promise<EpochRow[]>;
}

export async function openTestDb(url: string, options: OpenDbOptions = {}): Promise<TestResultsStore> {
  const { store, sql } = await openDbConnection(url, options);
  return Object.assign(store, {
    async getTrial(trialId: string): Promise<TrialRow | undefined> {
      const [row] = await sql<TrialRow[]>`select * from trials where id = ${trialId}`;
      return row;
    },
    async trialEpochs(trialId: string): Promise<EpochRow[]> {
      return Array.from(await sql<EpochRow[]>`select * from trial_epochs where trial_id = ${trialId} order by epoch`);
    },
  });
}
