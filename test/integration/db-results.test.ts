/**
 * The PostgreSQL ResultsStore on a real server (DATABASE_URL), each test in its own fresh database.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import postgres from 'postgres';
import { migrate, migrations, openDb, type NewTrial, type ResultsStore } from '../../src/db/index.js';
import { isUserError } from '../../src/errors.js';
import { resolveVariant } from '../../src/model/presets.js';
import { freePort } from '../../src/stack/net.js';
import type { EpochMetrics } from '../../src/train/types.js';
import { createFreshDatabase, type FreshDatabase } from './support/fresh-database.js';
import { openTestDb, type TestResultsStore } from '../support/results-store.js';

const databases: FreshDatabase[] = [];
const stores: ResultsStore[] = [];
after(async () => {
  for (const store of stores) await store.close();
  for (const database of databases) await database.drop();
});

async function freshStore(): Promise<{ db: TestResultsStore; url: string }> {
  const database = await createFreshDatabase('db_results');
  databases.push(database);
  const db = await openTestDb(database.url);
  stores.push(db);
  return { db, url: database.url };
}

/** A raw connection for checks the store does not expose (row counts, schema). */
async function withSql<T>(url: string, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
}

const sweepId = 'sweep-test-1a2b3c';
const trial = (number: number): NewTrial => ({
  sweepId,
  trialId: `${sweepId}-trial-${number}`,
  number,
  params: { convFilters: 32 + number, rnn: 'lstm' },
  variant: resolveVariant('danq-lite', { convFilters: 32 + number }),
});
const newSweep = { id: sweepId, name: 'test', spec: { name: 'test', strategy: { type: 'grid' } }, datasetFingerprint: 'abc123', strategy: 'grid', totalTrials: 6, workflowId: sweepId };
const epoch = (n: number, valAuc: number, extra: Partial<EpochMetrics> = {}): EpochMetrics => ({
  epoch: n,
  trainLoss: 0.7 - n / 100,
  valLoss: 0.69 - n / 100,
  valAuc,
  valPrAuc: valAuc - 0.2,
  seconds: 1.5,
  samplesPerSec: 1000,
  ...extra,
});

describe('migrations', () => {
  it('apply once when two processes open a fresh database at once, and are idempotent afterwards', async () => {
    const database = await createFreshDatabase('db_migrate');
    databases.push(database);
    const opened = await Promise.all([openDb(database.url), openDb(database.url), openDb(database.url)]);
    stores.push(...opened);
    await withSql(database.url, async (sql) => {
      const rows = await sql`select version from schema_migrations order by version`;
      assert.deepEqual(
        rows.map((r) => r.version),
        migrations.map((m) => m.version),
      );
      assert.deepEqual(await migrate(sql), [], 'nothing left to apply');
      const tables = await sql`select table_name from information_schema.tables where table_schema = 'public' order by table_name`;
      assert.deepEqual(
        tables.map((t) => t.table_name),
        ['artifacts', 'schema_migrations', 'sweeps', 'trial_epochs', 'trials'],
      );
    });
  });

  it('are numbered in strictly increasing order', () => {
    const versions = migrations.map((m) => m.version);
    assert.deepEqual(
      versions,
      [...versions].sort((a, b) => a - b),
    );
    assert.equal(new Set(versions).size, versions.length);
  });
});

describe('writes', () => {
  it('createSweep refuses an id that is taken, adding nothing; upsertTrial is idempotent; rows are camelCase', async () => {
    const { db, url } = await freshStore();
    const first = await db.createSweep(newSweep, [trial(0), trial(1)]);
    await assert.rejects(db.createSweep({ ...newSweep, name: 'other' }, [trial(2)]), (err: Error) => isUserError(err) && /sweep id 'sweep-test-1a2b3c' is already taken/.test(err.message));
    assert.deepEqual(await db.getSweep(sweepId), first, 'the existing sweep is untouched');
    assert.equal((await db.listTrials(sweepId)).length, 2, 'no trial of the refused sweep was added');
    assert.equal(first.status, 'running');
    assert.equal(first.datasetFingerprint, 'abc123');
    assert.deepEqual(first.spec, newSweep.spec);
    assert.ok(first.createdAt instanceof Date);

    await db.markTrialRunning(trial(1), { worker: 'w1', backend: 'wasm', attempt: 1 });
    const upserted = await db.upsertTrial(trial(1));
    assert.equal(upserted.status, 'running', 'a repeated upsert leaves an existing trial untouched');
    assert.deepEqual(upserted.variant, trial(1).variant);
    assert.deepEqual(upserted.params, trial(1).params);
    await db.upsertTrial(trial(2));
    const trials = await db.listTrials(sweepId);
    assert.deepEqual(
      trials.map((t) => [t.id, t.number, t.status]),
      [
        [`${sweepId}-trial-0`, 0, 'pending'],
        [`${sweepId}-trial-1`, 1, 'running'],
        [`${sweepId}-trial-2`, 2, 'pending'],
      ],
    );
    await withSql(url, async (sql) => assert.equal((await sql`select count(*)::int as n from sweeps`)[0]!.n, 1));
  });

  it('recording the same epoch twice keeps one row with the latest values', async () => {
    const { db } = await freshStore();
    await db.createSweep(newSweep, [trial(0)]);
    const id = trial(0).trialId;
    await db.recordEpoch(id, epoch(1, 0.6), 'worker-a');
    await db.recordEpoch(id, epoch(2, 0.7), 'worker-a');
    await db.recordEpoch(id, epoch(2, 0.75, { seconds: 9 }), 'worker-b'); // a retry resumed on another worker
    const epochs = await db.trialEpochs(id);
    assert.deepEqual(
      epochs.map((e) => [e.epoch, e.valAuc, e.seconds, e.workerIdentity]),
      [
        [1, 0.6, 1.5, 'worker-a'],
        [2, 0.75, 9, 'worker-b'],
      ],
    );
    assert.ok(epochs[0]!.recordedAt instanceof Date);
    assert.equal((await db.getTrial(id))!.epochsTrained, 2);
  });

  it('keeps NaN metrics in epoch rows but never ranks a NaN AUC', async () => {
    const { db } = await freshStore();
    await db.createSweep(newSweep, [trial(0)]);
    const id = trial(0).trialId;
    await db.recordEpoch(id, epoch(1, Number.NaN, { valLoss: Number.NaN }), 'w');
    assert.ok(Number.isNaN((await db.trialEpochs(id))[0]!.valLoss));
    const finished = await db.finishTrial(id, { status: 'failed', epochsTrained: 1, bestEpoch: 1, bestValAuc: Number.NaN, failureReason: 'loss became NaN at epoch 1' });
    assert.equal(finished.bestValAuc, null);
    assert.equal(finished.failureReason, 'loss became NaN at epoch 1');
    assert.deepEqual(await db.leaderboard(sweepId), []);
  });

  it('records artifacts once per trial and kind', async () => {
    const { db } = await freshStore();
    await db.createSweep(newSweep, [trial(0)]);
    const id = trial(0).trialId;
    await db.recordArtifact({ sweepId, trialId: id, kind: 'best-model', uri: '/models/old', epoch: 1, bytes: 5_000_000_000 });
    await db.recordArtifact({ sweepId, trialId: id, kind: 'best-model', uri: '/models/best', epoch: 2, bytes: 10 });
    const artifacts = await db.listArtifacts(sweepId);
    assert.deepEqual(
      artifacts.map((a) => [a.kind, a.uri, a.epoch, a.bytes]),
      [['best-model', '/models/best', 2, 10]],
    );
  });

  it('rejects the trial status and artifact kind that migration 5 dropped', async () => {
    const { db, url } = await freshStore();
    await db.createSweep(newSweep, [trial(0)]);
    const id = trial(0).trialId;
    await withSql(url, async (sql) => {
      await assert.rejects(sql`update trials set status = 'pruned' where id = ${id}`, /trials_status_check/);
      await assert.rejects(sql`insert into artifacts (sweep_id, trial_id, kind, uri) values (${sweepId}, ${id}, 'checkpoint', '/a')`, /artifacts_kind_check/);
    });
  });

  it('markTrialRunning creates the row of a trial the sweep did not plan (ASHA, TPE), running, in one write', async () => {
    const { db } = await freshStore();
    await db.createSweep(newSweep);
    const running = await db.markTrialRunning(trial(3), { worker: 'w1', backend: 'wasm', attempt: 1, paramCount: 77 });
    assert.equal(running.status, 'running');
    assert.deepEqual([running.number, running.params, running.variant], [3, trial(3).params, trial(3).variant]);
    assert.deepEqual([running.workerIdentity, running.backend, running.paramCount, running.attempts], ['w1', 'wasm', 77, 1]);
    assert.ok(running.startedAt instanceof Date);
    const again = await db.upsertTrial(trial(3));
    assert.equal(again.status, 'running', 'a later upsert leaves it running');
  });

  it('names the missing sweep or trial', async () => {
    const { db } = await freshStore();
    await assert.rejects(db.upsertTrial(trial(0)), /unknown sweep sweep-test-1a2b3c/);
    await assert.rejects(db.recordEpoch('nope', epoch(1, 0.5), 'w'), /unknown trial nope/);
    await assert.rejects(db.markTrialRunning(trial(0), { worker: 'w', backend: 'cpu', attempt: 1 }), /unknown sweep sweep-test-1a2b3c/);
    await assert.rejects(db.setSweepStatus('nope', 'paused'), /unknown sweep nope/);
  });
});

describe('status transitions', () => {
  it('recordAttempt counts attempts that failed before training started, without changing the status', async () => {
    const { db } = await freshStore();
    await db.createSweep(newSweep);
    const id = trial(3).trialId;
    await db.recordAttempt(trial(3), 1); // failed before its row existed
    assert.deepEqual([(await db.getTrial(id))?.status, (await db.getTrial(id))?.attempts], ['pending', 1]);
    await db.markTrialRunning(trial(3), { worker: 'w', backend: 'wasm', attempt: 2 });
    await db.recordAttempt(trial(3), 3);
    await db.recordAttempt(trial(3), 2); // a late repeat never lowers the count
    const failed = await db.finishTrial(id, { status: 'failed', epochsTrained: 0, bestEpoch: null, bestValAuc: null, failureReason: 'ENOSPC' });
    await db.recordAttempt(trial(3), 4);
    assert.deepEqual([failed.status, (await db.getTrial(id))?.status, (await db.getTrial(id))?.attempts], ['failed', 'failed', 4]);
  });

  it('a late "running" or second outcome never overwrites a terminal trial', async () => {
    const { db } = await freshStore();
    await db.createSweep(newSweep, [trial(0)]);
    const id = trial(0).trialId;
    const running = await db.markTrialRunning(trial(0), { worker: 'w1', backend: 'wasm', attempt: 1, paramCount: 12345 });
    assert.equal(running.status, 'running');
    assert.ok(running.startedAt instanceof Date);
    await db.markTrialRunning(trial(0), { worker: 'w2', backend: 'wasm', attempt: 2 }); // Temporal retry on another worker
    await db.markTrialRunning(trial(0), { worker: 'w2', backend: 'wasm', attempt: 2 }); // the same write repeated
    for (const e of [epoch(1, 0.8), epoch(2, 0.9), epoch(3, 0.85)]) await db.recordEpoch(id, e, 'w2');
    const done = await db.finishTrial(id, { status: 'completed', epochsTrained: 3, bestEpoch: 2, bestValAuc: 0.9, inferenceMsPer1k: 12.5, trainSeconds: 30.25 });
    assert.deepEqual(
      [done.status, done.workerIdentity, done.attempts, done.paramCount, done.bestEpoch, done.bestValAuc, done.bestValPrAuc, done.bestValLoss, done.inferenceMsPer1k, done.trainSeconds],
      ['completed', 'w2', 2, 12345, 2, 0.9, epoch(2, 0.9).valPrAuc, epoch(2, 0.9).valLoss, 12.5, 30.25],
    );
    assert.ok(done.finishedAt instanceof Date);

    const lateStart = await db.markTrialRunning(trial(0), { worker: 'w1', backend: 'wasm', attempt: 1 });
    assert.equal(lateStart.status, 'completed');
    const lateFinish = await db.finishTrial(id, { status: 'failed', epochsTrained: 1, bestEpoch: null, bestValAuc: null, failureReason: 'worker lost' });
    assert.deepEqual(lateFinish, done);
    assert.deepEqual(await db.getTrial(id), done);
  });

  /** A trial that completed its first ASHA rung: epochs 1-2, best epoch 2 (val AUC 0.8). */
  async function trialCompletedAtEpoch2() {
    const { db } = await freshStore();
    await db.createSweep(newSweep, [trial(0)]);
    const id = trial(0).trialId;
    await db.markTrialRunning(trial(0), { worker: 'w', backend: 'wasm', attempt: 1, untilEpoch: 2 });
    for (const e of [epoch(1, 0.7), epoch(2, 0.8)]) await db.recordEpoch(id, e, 'w');
    await db.finishTrial(id, { status: 'completed', epochsTrained: 2, bestEpoch: 2, bestValAuc: 0.8 });
    return { db, id };
  }

  it('a completed trial continues only to epochs beyond those it trained (ASHA promotion)', async () => {
    const { db, id } = await trialCompletedAtEpoch2();
    assert.equal((await db.markTrialRunning(trial(0), { worker: 'w', backend: 'wasm', attempt: 3, untilEpoch: 2 })).status, 'completed', 'a retry of the first run');

    const promoted = await db.markTrialRunning(trial(0), { worker: 'w', backend: 'wasm', attempt: 1, untilEpoch: 6 });
    assert.equal(promoted.status, 'running');
    assert.equal(promoted.finishedAt, null);
    const finished = await db.finishTrial(id, { status: 'early-stopped', epochsTrained: 4, bestEpoch: 3, bestValAuc: 0.85, epochs: [epoch(3, 0.85), epoch(4, 0.84)], worker: 'w' });
    assert.deepEqual([finished.status, finished.epochsTrained, finished.bestEpoch, finished.bestValAuc], ['early-stopped', 4, 3, 0.85]);
    assert.equal((await db.trialEpochs(id)).length, 4);
  });

  it('a promotion cancelled before it reports results keeps the earlier rung results', async () => {
    const { db, id } = await trialCompletedAtEpoch2();
    await db.markTrialRunning(trial(0), { worker: 'w', backend: 'wasm', attempt: 1, untilEpoch: 6 });
    await db.recordEpoch(id, epoch(3, 0.75), 'w');
    const cancelled = await db.finishTrial(id, { status: 'cancelled', epochsTrained: 0, bestEpoch: null, bestValAuc: null });
    assert.deepEqual(
      [cancelled.status, cancelled.epochsTrained, cancelled.bestEpoch, cancelled.bestValAuc, cancelled.bestValPrAuc, cancelled.bestValLoss],
      ['cancelled', 3, 2, 0.8, epoch(2, 0.8).valPrAuc, epoch(2, 0.8).valLoss],
    );
  });

  it('a completed sweep stays completed; running and paused alternate', async () => {
    const { db } = await freshStore();
    await db.createSweep(newSweep, [trial(0)]);
    assert.equal((await db.setSweepStatus(sweepId, 'paused')).status, 'paused');
    assert.equal((await db.setSweepStatus(sweepId, 'running')).status, 'running');
    const done = await db.finishSweep(sweepId, { status: 'completed', bestTrialId: trial(0).trialId });
    assert.deepEqual([done.status, done.bestTrialId], ['completed', trial(0).trialId]);
    assert.ok(done.finishedAt instanceof Date);
    assert.deepEqual(await db.setSweepStatus(sweepId, 'running'), done);
    assert.deepEqual(await db.finishSweep(sweepId, { status: 'cancelled', bestTrialId: null }), done);
    assert.deepEqual(
      (await db.listSweeps()).map((s) => s.id),
      [sweepId],
    );
  });
});

describe('leaderboard', () => {
  it('ranks by best val AUC, then fewer parameters, then the earlier trial; skips trials without a result', async () => {
    const { db } = await freshStore();
    await db.createSweep(newSweep, [0, 1, 2, 3, 4, 5].map(trial));
    const results: Array<[number, number | null, number]> = [
      [0, 0.9, 100],
      [1, 0.95, 200],
      [2, 0.95, 100],
      [3, 0.95, 100], // ties trial 2 on AUC and size: the earlier trial wins
      [4, null, 50], // failed without a result
    ];
    for (const [n, auc, params] of results) {
      await db.markTrialRunning(trial(n), { worker: 'w', backend: 'cpu', attempt: 1, paramCount: params });
      await db.finishTrial(trial(n).trialId, { status: auc === null ? 'failed' : 'completed', epochsTrained: 1, bestEpoch: auc === null ? null : 1, bestValAuc: auc });
    }
    // trial 5 stays pending
    assert.deepEqual(
      (await db.leaderboard(sweepId)).map((t) => t.number),
      [2, 3, 1, 0],
    );
    assert.deepEqual(
      (await db.leaderboard(sweepId, 2)).map((t) => t.number),
      [2, 3],
    );
  });
});

describe('transactions', () => {
  it('a failed multi-row write leaves no partial rows', async () => {
    const { db, url } = await freshStore();
    // The second trial reuses number 0 under another id: the unique (sweep_id, number) fails the insert.
    await assert.rejects(db.createSweep(newSweep, [trial(0), { ...trial(1), number: 0 }]));
    await withSql(url, async (sql) => {
      assert.equal((await sql`select count(*)::int as n from sweeps`)[0]!.n, 0);
      assert.equal((await sql`select count(*)::int as n from trials`)[0]!.n, 0);
    });

    await db.createSweep(newSweep, [trial(0)]);
    const id = trial(0).trialId;
    await db.markTrialRunning(trial(0), { worker: 'w', backend: 'cpu', attempt: 1 });
    // Epoch 0 violates the epoch >= 1 check after epoch 1 was written in the same transaction.
    await assert.rejects(db.finishTrial(id, { status: 'completed', epochsTrained: 2, bestEpoch: 1, bestValAuc: 0.9, epochs: [epoch(1, 0.9), epoch(0, 0.8)], worker: 'w' }));
    assert.deepEqual(await db.trialEpochs(id), []);
    const unchanged = (await db.getTrial(id))!;
    assert.deepEqual([unchanged.status, unchanged.epochsTrained, unchanged.bestValAuc], ['running', 0, null]);
  });
});

describe('openDb errors', () => {
  it('an unparsable URL is a UserError naming DATABASE_URL, without the password', async () => {
    for (const url of ['not a url', 'mysql://u:secret@h/db', 'postgres://u:secret@:5432/db']) {
      await assert.rejects(openDb(url), (err: unknown) => {
        assert.ok(isUserError(err), String(err));
        assert.match(err.message, /DATABASE_URL/);
        assert.doesNotMatch(err.message, /secret/);
        return true;
      });
    }
  });

  it('connection refused names host:port', async () => {
    const port = await freePort();
    await assert.rejects(openDb(`postgres://postgres:pw@127.0.0.1:${port}/sweep`), (err: unknown) => {
      assert.ok(isUserError(err), String(err));
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}: connection refused`));
      return true;
    });
  });

  it('a missing database and a wrong password are UserErrors', async () => {
    const url = new URL(process.env.DATABASE_URL!);
    url.pathname = '/no_such_database';
    await assert.rejects(openDb(url.toString()), (err: unknown) => isUserError(err) && /no_such_database/.test(err.message));
    const wrong = new URL(process.env.DATABASE_URL!);
    wrong.password = 'wrong';
    await assert.rejects(openDb(wrong.toString()), (err: unknown) => isUserError(err) && /password/.test(err.message) && !/:wrong@/.test(err.message));
  });
});
