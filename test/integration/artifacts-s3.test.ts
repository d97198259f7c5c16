// The artifact store's contract, on a directory and on a real S3-compatible server
// (versitygw, started here), and a sweep whose checkpoints and best model live only in S3.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { getBytes, joinLocation, openArtifactStore, type ArtifactStore } from '../../src/artifacts/index.js';
import { ApplicationFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../src/activities/index.js';
import { ArtifactStoreConfigError } from '../../src/domain/permanent-errors.js';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { loadExportedModel } from '../../src/train/export.js';
import type { SweepReport } from '../../src/cli/report.js';
import { startS3Server, type S3TestServer } from './support/s3-server.js';
import { openSweepHarness, tinyDataset } from './support/sweep-harness.js';

let s3: S3TestServer;
let dir: string;
before(async () => {
  s3 = await startS3Server();
  dir = mkdtempSync(path.join(tmpdir(), 'sweep-artifacts-'));
});
after(async () => {
  await s3?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const text = async (store: ArtifactStore, key: string) => (await getBytes(store, key))?.toString('utf8');

/** Bytes that differ at every offset, so a misplaced chunk cannot compare equal. */
function pattern(bytes: number, seed: number): Buffer {
  const b = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i += 4) b.writeUInt32LE((Math.imul(i + 1, 2654435761) ^ seed) >>> 0, i);
  return b;
}

for (const kind of ['directory', 's3'] as const) {
  describe(`artifact store contract: ${kind}`, () => {
    let store: ArtifactStore;
    before(async () => {
      store = await openArtifactStore(kind === 's3' ? `s3://${s3.bucket}/contract/${Date.now()}` : path.join(dir, 'contract'), s3.options);
    });

    test('put/get round trip: a buffer, chunks, and a stream larger than one multipart part', async () => {
      await store.put('a/one.txt', Buffer.from('one'));
      await store.put('a/two.txt', [Buffer.from('t'), Buffer.from('w'), Buffer.from('o')]);
      const big = pattern(20 * 1024 * 1024 + 12, 7);
      await store.put(
        'big.bin',
        Readable.from(
          (function* () {
            for (let at = 0; at < big.length; at += 1024 * 1024) yield big.subarray(at, at + 1024 * 1024);
          })(),
        ),
      );
      assert.equal(await text(store, 'a/one.txt'), 'one');
      assert.equal(await text(store, 'a/two.txt'), 'two');
      assert.ok((await getBytes(store, 'big.bin'))!.equals(big), '20 MB streamed up and back byte for byte');
    });

    test('missing keys: get is undefined, delete is no error', async () => {
      assert.equal(await store.get('nothing/here'), undefined);
      await store.delete('nothing/here');
    });

    test("list is sorted, under a prefix, and only this store's keys; delete removes", async () => {
      const other = await openArtifactStore(joinLocation(store.location, 'a'), s3.options);
      await other.put('nested/x', Buffer.from('x'));
      assert.deepEqual(await other.list(), ['nested/x', 'one.txt', 'two.txt']);
      assert.deepEqual(await store.list('a/'), ['a/nested/x', 'a/one.txt', 'a/two.txt']);
      await store.delete('a/one.txt');
      assert.deepEqual(await store.list('a/'), ['a/nested/x', 'a/two.txt']);
      assert.equal(other.locate('nested/x'), store.locate('a/nested/x'));
    });

    test('a put that fails mid-stream leaves the previous object whole and nothing partial in the listing', async () => {
      await store.put('atomic.bin', Buffer.from('previous'));
      const failing = Readable.from(
        (async function* () {
          yield pattern(6 * 1024 * 1024, 1);
          throw new Error('writer died mid-stream');
        })(),
      );
      await assert.rejects(() => store.put('atomic.bin', failing), /writer died mid-stream/);
      assert.equal(await text(store, 'atomic.bin'), 'previous');
      assert.deepEqual(
        (await store.list()).filter((k) => k.startsWith('atomic')),
        ['atomic.bin'],
      );
    });

    test('keys outside the contract are refused the same way', async () => {
      for (const key of ['', '../escape', 'a//b', '/abs', 'a/./b']) await assert.rejects(() => store.put(key, Buffer.from('x')), /invalid artifact key/);
    });
  });
}

test('S3 errors name the object and the cause; a missing bucket or an unknown key is a permanent error', async () => {
  const store = await openArtifactStore('s3://no-such-bucket-h12/p', s3.options);
  await assert.rejects(
    () => store.put('k', Buffer.from('x')),
    (err: Error) => {
      assert.match(err.message, /^put s3:\/\/no-such-bucket-h12\/p\/k failed: NoSuchBucket/);
      assert.ok(err instanceof ArtifactStoreConfigError);
      return true;
    },
  );
  const wrongKey = await openArtifactStore(`s3://${s3.bucket}/p`, { ...s3.options, credentials: { accessKeyId: 'nobody', secretAccessKey: 'wrong' } });
  // An unknown access key: versitygw says XAdminUserNotFound (404), AWS InvalidAccessKeyId (403). A get must not read it as "no checkpoint".
  for (const attempt of [() => wrongKey.list(), () => wrongKey.get('checkpoint.bin')]) {
    await assert.rejects(attempt, (err: Error) => {
      assert.match(err.message, new RegExp(`^(list|get) s3://${s3.bucket}/p/(checkpoint.bin)? failed: \\w+: `));
      assert.ok(err instanceof ArtifactStoreConfigError);
      return true;
    });
  }
});

test('a sweep with SWEEP_ARTIFACTS and SWEEP_MODELS on S3: checkpoints and the best model are objects, nothing on local disk', async () => {
  const artifacts = `s3://${s3.bucket}/sweeps/checkpoints`;
  const models = `s3://${s3.bucket}/sweeps/models`;
  const h = await openSweepHarness({ concurrency: 2, env: { ...s3.env, SWEEP_ARTIFACTS: artifacts, SWEEP_MODELS: models } });
  try {
    const file = h.spec('s3', {
      name: 's3',
      dataset: tinyDataset,
      model: { preset: 'danq-lite', seqLen: 60, convKernel: 9, poolSize: 4, rnnUnits: 8, denseUnits: 8 },
      training: { epochs: 2, batchSize: 32, seed: 7 },
      space: { convFilters: [4, 8] },
      strategy: { type: 'grid' },
      maxConcurrentTrials: 2,
    });
    const { code, stdout, stderr } = await h.sweep('start', file, '--json');
    assert.equal(code, 0, stderr);
    const report = JSON.parse(stdout) as SweepReport;
    assert.equal(report.status, 'completed');
    const best = report.best!;
    assert.equal(best.modelPath, `${models}/${report.sweepId}/best`);

    const checkpoints = await openArtifactStore(artifacts, s3.options);
    assert.deepEqual(await checkpoints.list(), report.trials.map((t) => `${report.sweepId}/${t.trialId}/checkpoint/checkpoint.bin`).sort());
    const modelStore = await openArtifactStore(models, s3.options);
    assert.deepEqual(await modelStore.list(), [`${report.sweepId}/best/model.json`, `${report.sweepId}/best/weights.bin`]);
    assert.ok(!existsSync(path.join(h.config.home, 'artifacts')) && !existsSync(path.join(h.config.home, 'models')), 'nothing written to local disk');

    // The exported model loads from S3 and holds the best epoch's weights of its checkpoint.
    const checkpoint = (await readCheckpoint(joinLocation(artifacts, report.sweepId, best.trialId, 'checkpoint'), s3.options))!;
    assert.equal(checkpoint.epoch, 2);
    const model = await loadExportedModel(best.modelPath, s3.options);
    const exported = model.getWeights().map((w) => w.dataSync() as Float32Array);
    assert.deepEqual(exported, checkpoint.bestWeights);
    model.dispose();
    assert.deepEqual(
      (await h.db.listArtifacts(report.sweepId)).map((a) => [a.kind, a.uri]),
      [['best-model', best.modelPath]],
    );

    // A store that refuses for good (here a missing bucket) fails the export at once, not after five attempts.
    const refused = createActivities({ db: h.db, config: { ...h.config, artifactsDir: 's3://no-such-bucket-h12/a', modelsDir: 's3://no-such-bucket-h12/m' }, identity: 'test', backend: 'auto' });
    const exportInput = { sweepId: report.sweepId, trialId: best.trialId, model: { preset: 'danq-lite' as const, fields: {} }, params: {} };
    await assert.rejects(
      new MockActivityEnvironment().run(() => refused.exportBestModel(exportInput)),
      (err: unknown) => {
        assert.ok(err instanceof ApplicationFailure, String(err));
        assert.equal(err.type, 'ArtifactStoreConfigError');
        assert.equal(err.nonRetryable, true);
        assert.match(err.message, /NoSuchBucket/);
        return true;
      },
    );
  } finally {
    await h.close();
  }
});
