/**
 * The PostgreSQL ResultsStore (postgres.js). Columns are snake_case; rows come back camelCase.
 */
import postgres from 'postgres';
import { databaseServer, redact } from '../config/index.js';
import { finiteOrNull } from '../domain/metrics.js';
import { isTerminalSweepStatus, TERMINAL_SWEEP_STATUSES } from '../domain/status.js';
import { UnreachableError, UserError } from '../errors.js';
import { outageWaiter } from '../outage.js';
import type { EpochMetrics } from '../train/types.js';
import { migrate } from './migrations.js';
import type { ArtifactRow, NewArtifact, NewSweep, NewTrial, ResultsStore, SweepRow, SweepStatus, TerminalSweepStatus, TrialFinish, TrialRow, TrialStart, TrialStatus } from './types.js';

/** bigint columns (param_count, bytes, count(*)) as JS numbers: exact far beyond any model size. */
const int8AsNumber = { to: 20, from: [20], serialize: (n: number) => String(n), parse: (text: string) => Number(text) };

/** Connection options of a read-only store: it serves requests, so a slow or absent server is an error within seconds. */
const READ_ONLY_CONNECTION = { connect_timeout: 3, connection: { statement_timeout: 10_000, default_transaction_read_only: true } } as const;

function connect(url: string, readOnly = false) {
  return postgres(url, {
    transform: { column: { from: postgres.toCamel } },
    types: { int8: int8AsNumber },
    onnotice: () => {}, // "already exists, skipping" from idempotent DDL
    connect_timeout: 10,
    ...(readOnly && READ_ONLY_CONNECTION),
  });
}
type Sql = ReturnType<typeof connect>;
/** The store's connection: columns come back camelCase, bigints as numbers. */
export type StoreSql = Sql;
type Tx = postgres.TransactionSql<{ int8: number }>;
type Queryable = Sql | Tx;

export interface OpenDbOptions {
  /**
   * Where the one-line outage warnings go (default stderr): one when the server becomes
   * unreachable, one when it is back.
   */
  warn?: (line: string) => void;
  /**
   * For a role that may only read (the API's): no migrations, only a check that they were applied;
   * statements time out; and a call fails at once while the server is unreachable (the API answers
   * 503) instead of waiting the outage out.
   */
  readOnly?: boolean;
}

/**
 * Connects, applies pending migrations, and returns the store. The server must answer now (else a
 * UserError naming DATABASE_URL); afterwards every call waits out an outage (see waitingOutOutages).
 */
export async function openDb(url: string, options: OpenDbOptions = {}): Promise<ResultsStore> {
  return (await openDbConnection(url, options)).store;
}

/**
 * openDb, with the store's connection for queries the store does not offer (the read model's
 * aggregates). Queries on `sql` do not wait out outages; close the store to end it.
 */
export async function openDbConnection(url: string, options: OpenDbOptions = {}): Promise<{ store: ResultsStore; sql: StoreSql }> {
  const server = databaseServer(url);
  const sql = connect(url, options.readOnly);
  try {
    if (options.readOnly) await sql`select version from schema_migrations limit 1`;
    else await migrate(sql);
  } catch (err) {
    await sql.end({ timeout: 1 });
    if ((err as { code?: string }).code === '42P01')
      throw new UserError(`PostgreSQL at ${server} has no danq-sweep tables yet: run a sweep command with the owner's DATABASE_URL first (it creates them)`);
    throw connectionProblem(err, server, url) ?? err;
  }
  const store = new PostgresResultsStore(sql);
  return { store: options.readOnly ? store : waitingOutOutages(store, server, options.warn ?? ((line) => console.error(line))), sql };
}

/**
 * Errors that say the server is unreachable, restarting or shutting down (an infrastructure fault),
 * as opposed to errors in the query: node socket errors, postgres.js's own connection errors,
 * SQLSTATE class 08 (connection exception) and 57P01-57P03 (admin/crash shutdown, cannot connect now).
 * CONNECTION_ENDED/DESTROYED are absent: they follow our own close().
 */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return (
    ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED'].includes(code) ||
    code.startsWith('08') ||
    ['57P01', '57P02', '57P03'].includes(code)
  );
}

/**
 * The store, with every call retried for as long as PostgreSQL is unreachable: a database outage is
 * an infrastructure fault that must never fail a trial or lose an epoch, so callers wait (training
 * goes on and heartbeats meanwhile) and their writes land once the server is back. Retrying is safe
 * because every write is idempotent, including a transaction whose commit was in flight when the
 * connection dropped. One warning line per outage, one when it is over; close() ends the waiting.
 */
function waitingOutOutages(store: PostgresResultsStore, server: string, warn: (line: string) => void): ResultsStore {
  let closed = false;
  const retrying = outageWaiter({
    isOutage: isConnectionError,
    started: (err) => `PostgreSQL at ${server} is unreachable (${(err as { code: string }).code}): waiting for it; training goes on and its results are stored when it is back`,
    ended: (seconds) => `PostgreSQL at ${server} is back after ${seconds} s; the writes that waited are stored`,
    warn,
    givenUp: () => closed,
  });
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      if (property === 'close') {
        return () => {
          closed = true;
          return target.close();
        };
      }
      return (...args: unknown[]) => retrying(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
    },
  });
}

/** A UserError for failures the user fixes in DATABASE_URL or by starting the server; undefined for others. */
function connectionProblem(err: unknown, server: string, url: string): UserError | undefined {
  const { code } = err as { code?: string };
  const reasons: Record<string, string> = {
    ECONNREFUSED: `cannot connect to PostgreSQL at ${server}: connection refused. Is the server running, and is DATABASE_URL right?`,
    ENOTFOUND: `cannot connect to PostgreSQL at ${server}: unknown host. Check DATABASE_URL.`,
    EAI_AGAIN: `cannot connect to PostgreSQL at ${server}: the host name did not resolve. Check DATABASE_URL.`,
    CONNECT_TIMEOUT: `cannot connect to PostgreSQL at ${server}: timed out. Is the server reachable, and is DATABASE_URL right?`,
    '28P01': `PostgreSQL at ${server} rejected the user or password of DATABASE_URL (${redact(url)}).`,
    '28000': `PostgreSQL at ${server} refused the connection for DATABASE_URL (${redact(url)}): ${(err as Error).message}`,
    '3D000': `PostgreSQL at ${server}: ${(err as Error).message}. Create it, or point DATABASE_URL at an existing database.`,
  };
  if (!code || !reasons[code]) return undefined;
  return ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'CONNECT_TIMEOUT'].includes(code) ? new UnreachableError(reasons[code]) : new UserError(reasons[code]);
}

/**
 * The trial status rule, as a condition on the trials row: pending and running trials accept any
 * transition; a terminal one is final, except that a completed trial may continue (ASHA
 * promotion) to epochs beyond those it trained.
 */
function acceptsTransition(sql: Queryable, trainsTo: number | undefined): postgres.Fragment {
  return sql`(trials.status in ('pending', 'running') or (trials.status = 'completed' and ${trainsTo ?? null}::int > trials.epochs_trained))`;
}

/** Rows as a plain array (postgres.js returns an Array subclass carrying query metadata). */
async function plain<T>(query: PromiseLike<T[]>): Promise<T[]> {
  return Array.from(await query);
}

/** Turns a foreign-key violation into an error naming the missing sweep or trial. */
async function naming<T>(what: string, write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (err) {
    if ((err as { code?: string }).code === '23503') throw new Error(`unknown ${what}`);
    throw err;
  }
}

class PostgresResultsStore implements ResultsStore {
  constructor(private readonly sql: Sql) {}

  async createSweep(sweep: NewSweep, trials: readonly NewTrial[] = []): Promise<SweepRow> {
    return this.sql.begin(async (tx) => {
      const inserted = await tx`
        insert into sweeps (id, name, spec, dataset_fingerprint, strategy, total_trials, workflow_id)
        values (${sweep.id}, ${sweep.name}, ${tx.json(sweep.spec as postgres.JSONValue)}, ${sweep.datasetFingerprint},
                ${sweep.strategy}, ${sweep.totalTrials}, ${sweep.workflowId})
        on conflict (id) do nothing
        returning id`;
      // Two sweeps under one id would merge their trials silently.
      if (inserted.length === 0) throw new UserError(`sweep id '${sweep.id}' is already taken by another sweep: start it again (a new id is drawn)`);
      await insertTrials(tx, trials);
      const [row] = await tx<SweepRow[]>`select * from sweeps where id = ${sweep.id}`;
      return row!;
    });
  }

  async setSweepStatus(sweepId: string, status: SweepStatus): Promise<SweepRow> {
    return this.updateSweep(sweepId, status, undefined);
  }

  async finishSweep(sweepId: string, outcome: { status: TerminalSweepStatus; bestTrialId: string | null; failureReason?: string | null }): Promise<SweepRow> {
    return this.updateSweep(sweepId, outcome.status, outcome.bestTrialId, outcome.failureReason ?? null);
  }

  /** Only a running or paused sweep changes status; bestTrialId undefined keeps the stored one. */
  private async updateSweep(sweepId: string, status: SweepStatus, bestTrialId: string | null | undefined, failureReason: string | null = null): Promise<SweepRow> {
    const [updated] = await naming(
      `trial ${bestTrialId} (best of sweep ${sweepId})`,
      this.sql<SweepRow[]>`
        update sweeps set
          status = ${status},
          best_trial_id = ${bestTrialId === undefined ? this.sql`best_trial_id` : bestTrialId},
          finished_at = ${isTerminalSweepStatus(status) ? this.sql`now()` : null},
          failure_reason = ${failureReason},
          updated_at = now()
        where id = ${sweepId} and status in ('running', 'paused')
        returning *`,
    );
    return updated ?? this.existingSweep(sweepId);
  }

  async reopenSweep(sweepId: string, trialIds: readonly string[]): Promise<boolean> {
    return this.sql.begin(async (tx) => {
      const reopened = await tx`
        update sweeps set status = 'running', finished_at = null, failure_reason = null, updated_at = now()
        where id = ${sweepId} and status in ${tx([...TERMINAL_SWEEP_STATUSES])}
        returning id`;
      if (reopened.length === 0) return false;
      if (trialIds.length === 0) return true;
      await tx`
        update trials set status = 'pending', finished_at = null, failure_reason = null, updated_at = now()
        where sweep_id = ${sweepId} and id in ${tx(trialIds)} and status in ('failed', 'cancelled')`;
      return true;
    });
  }

  async upsertTrial(trial: NewTrial): Promise<TrialRow> {
    await insertTrials(this.sql, [trial]);
    return existingTrial(this.sql, trial.trialId);
  }

  async recordAttempt(trial: NewTrial, attempt: number): Promise<void> {
    await naming(
      `sweep ${trial.sweepId}`,
      this.sql`
        insert into trials (id, sweep_id, number, params, variant, attempts)
        values (${trial.trialId}, ${trial.sweepId}, ${trial.number}, ${this.sql.json(trial.params as postgres.JSONValue)}, ${this.sql.json(trial.variant as unknown as postgres.JSONValue)}, ${attempt})
        on conflict (id) do update set attempts = greatest(trials.attempts, excluded.attempts), updated_at = now()`,
    );
  }

  async markTrialRunning(trial: NewTrial, start: TrialStart): Promise<TrialRow> {
    // One statement (one round trip, its own commit): creates the row if the trial has none yet and
    // marks it running where the status rule allows; the conflicting row stays locked meanwhile.
    const [row] = await naming(
      `sweep ${trial.sweepId}`,
      this.sql<TrialRow[]>`
        insert into trials (id, sweep_id, number, params, variant, status, worker_identity, backend, backend_version, backend_device, step_path, param_count, attempts, started_at)
        values (${trial.trialId}, ${trial.sweepId}, ${trial.number}, ${this.sql.json(trial.params as postgres.JSONValue)}, ${this.sql.json(trial.variant as unknown as postgres.JSONValue)},
                'running', ${start.worker}, ${start.backend}, ${start.runtime?.version ?? null}, ${start.runtime?.device ?? null}, ${start.runtime?.stepPath ?? null}, ${start.paramCount ?? null}, ${start.attempt}, now())
        on conflict (id) do update set
          status = 'running',
          worker_identity = excluded.worker_identity,
          backend = excluded.backend,
          backend_version = excluded.backend_version,
          backend_device = excluded.backend_device,
          step_path = excluded.step_path,
          param_count = coalesce(excluded.param_count, trials.param_count),
          attempts = greatest(trials.attempts, excluded.attempts),
          started_at = coalesce(trials.started_at, now()),
          finished_at = null,
          updated_at = now()
        where ${acceptsTransition(this.sql, start.untilEpoch)}
        returning *`,
    );
    return row ?? existingTrial(this.sql, trial.trialId);
  }

  async recordEpoch(trialId: string, metrics: EpochMetrics, worker: string): Promise<void> {
    await this.sql.begin((tx) => writeEpochs(tx, trialId, [metrics], worker));
  }

  async finishTrial(trialId: string, finish: TrialFinish): Promise<TrialRow> {
    return this.sql.begin(async (tx) => {
      // The rule is read before the epoch rows raise epochs_trained, and the row stays locked.
      const [lock] = await tx<{ accepts: boolean }[]>`select ${acceptsTransition(tx, finish.epochsTrained)} as accepts from trials where id = ${trialId} for update`;
      if (!lock) throw new Error(`unknown trial ${trialId}`);
      // Epoch rows are facts whatever the status rule decides; write them first so the best epoch's
      // metrics below can come from its row. Only missing rows are filled: finish.epochs includes
      // epochs resumed from a checkpoint, whose rows belong to the worker that trained them.
      await writeEpochs(tx, trialId, finish.epochs ?? [], finish.worker ?? null, { fillOnly: true });
      if (!lock.accepts) return existingTrial(tx, trialId);
      const bestEpoch = finish.bestEpoch;
      const [row] = await tx<TrialRow[]>`
        update trials set
          status = ${finish.status},
          epochs_trained = greatest(epochs_trained, ${finish.epochsTrained}),
          -- A finish without results (a cancelled or failed ASHA promotion) keeps the earlier rung's.
          best_epoch = coalesce(${bestEpoch}, best_epoch),
          best_val_auc = case when ${bestEpoch}::int is null then best_val_auc else ${finiteOrNull(finish.bestValAuc)} end,
          best_val_pr_auc = case when ${bestEpoch}::int is null then best_val_pr_auc
            else (select val_pr_auc from trial_epochs where trial_id = ${trialId} and epoch = ${bestEpoch}) end,
          best_val_loss = case when ${bestEpoch}::int is null then best_val_loss
            else (select val_loss from trial_epochs where trial_id = ${trialId} and epoch = ${bestEpoch}) end,
          failure_reason = ${finish.failureReason ?? null},
          param_count = coalesce(${finish.paramCount ?? null}::bigint, param_count),
          inference_ms_per_1k = coalesce(${finiteOrNull(finish.inferenceMsPer1k)}::float8, inference_ms_per_1k),
          train_seconds = coalesce(${finish.trainSeconds ?? null}::float8, train_seconds),
          backend = coalesce(${finish.backend ?? null}, backend),
          finished_at = now(),
          updated_at = now()
        where id = ${trialId}
        returning *`;
      return row!;
    });
  }

  async recordArtifact(artifact: NewArtifact): Promise<ArtifactRow> {
    const [row] = await naming(
      `sweep ${artifact.sweepId} or trial ${artifact.trialId}`,
      this.sql<ArtifactRow[]>`
        insert into artifacts (sweep_id, trial_id, kind, uri, epoch, bytes)
        values (${artifact.sweepId}, ${artifact.trialId}, ${artifact.kind}, ${artifact.uri}, ${artifact.epoch ?? null}, ${artifact.bytes ?? null})
        on conflict (trial_id, kind) do update set
          sweep_id = excluded.sweep_id, uri = excluded.uri, epoch = excluded.epoch, bytes = excluded.bytes, updated_at = now()
        returning *`,
    );
    return row!;
  }

  async getSweep(sweepId: string): Promise<SweepRow | undefined> {
    const [row] = await this.sql<SweepRow[]>`select * from sweeps where id = ${sweepId}`;
    return row;
  }

  async listSweeps(filter: { status?: SweepStatus; limit?: number } = {}): Promise<SweepRow[]> {
    return plain(this.sql<SweepRow[]>`
      select * from sweeps where ${filter.status ?? null}::text is null or status = ${filter.status ?? null}
      order by created_at desc, id limit ${filter.limit ?? null}`);
  }

  async listTrials(sweepId: string, filter: { status?: TrialStatus; afterNumber?: number; limit?: number } = {}): Promise<TrialRow[]> {
    return plain(this.sql<TrialRow[]>`
      select * from trials
      where sweep_id = ${sweepId} and (${filter.status ?? null}::text is null or status = ${filter.status ?? null}) and number > ${filter.afterNumber ?? -1}
      order by number limit ${filter.limit ?? null}`);
  }

  async listArtifacts(sweepId: string): Promise<ArtifactRow[]> {
    return plain(this.sql<ArtifactRow[]>`select * from artifacts where sweep_id = ${sweepId} order by trial_id, kind`);
  }

  async leaderboard(sweepId: string, limit?: number): Promise<TrialRow[]> {
    return plain(this.sql<TrialRow[]>`
      select * from trials
      where sweep_id = ${sweepId} and best_val_auc is not null
      order by best_val_auc desc, param_count asc nulls last, number asc
      limit ${limit ?? null}`);
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }

  private async existingSweep(sweepId: string): Promise<SweepRow> {
    const row = await this.getSweep(sweepId);
    if (!row) throw new Error(`unknown sweep ${sweepId}`);
    return row;
  }
}

/** Inserts trials as pending; existing ones are left untouched. Atomic when sql is a transaction. */
async function insertTrials(sql: Queryable, trials: readonly NewTrial[]): Promise<void> {
  const rows = trials.map((t) => ({
    id: t.trialId,
    sweep_id: t.sweepId,
    number: t.number,
    params: sql.json(t.params as postgres.JSONValue),
    variant: sql.json(t.variant as unknown as postgres.JSONValue),
  }));
  // A statement carries at most 65535 parameters (5 per trial).
  for (let i = 0; i < rows.length; i += 5_000) {
    await naming(`sweep ${trials[0]!.sweepId}`, sql`insert into trials ${sql(rows.slice(i, i + 5_000))} on conflict (id) do nothing`);
  }
}

/** The trial's row (as `sql`, a transaction among them, sees it); an error when there is none. */
async function existingTrial(sql: Queryable, trialId: string): Promise<TrialRow> {
  const [row] = await sql<TrialRow[]>`select * from trials where id = ${trialId}`;
  if (!row) throw new Error(`unknown trial ${trialId}`);
  return row;
}

/** Upserts epoch rows (the latest values win; with fillOnly, existing rows stay) and raises the trial's epochsTrained. */
async function writeEpochs(tx: Tx, trialId: string, epochs: readonly EpochMetrics[], worker: string | null, options: { fillOnly?: boolean } = {}): Promise<void> {
  // One row per epoch: a statement cannot upsert the same key twice.
  const latest = new Map(epochs.map((m) => [m.epoch, m]));
  if (latest.size === 0) return;
  const rows = [...latest.values()].map((m) => ({
    trial_id: trialId,
    epoch: m.epoch,
    train_loss: m.trainLoss,
    val_loss: m.valLoss,
    val_auc: m.valAuc,
    val_pr_auc: m.valPrAuc,
    seconds: m.seconds,
    samples_per_sec: m.samplesPerSec,
    worker_identity: worker,
  }));
  await naming(
    `trial ${trialId}`,
    tx`
      insert into trial_epochs ${tx(rows)}
      on conflict (trial_id, epoch) do ${
        options.fillOnly
          ? tx`nothing`
          : tx`update set
        train_loss = excluded.train_loss, val_loss = excluded.val_loss, val_auc = excluded.val_auc,
        val_pr_auc = excluded.val_pr_auc, seconds = excluded.seconds, samples_per_sec = excluded.samples_per_sec,
        worker_identity = excluded.worker_identity, recorded_at = now()`
      }`,
  );
  await tx`update trials set epochs_trained = greatest(epochs_trained, ${Math.max(...latest.keys())}), updated_at = now() where id = ${trialId}`;
}
