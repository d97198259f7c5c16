/** Checkpoint files: exact round trip, atomic replacement, truncation detected. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { after, test } from 'node:test';
import { openArtifactStore, type ArtifactStore } from '../../src/artifacts/index.js';
import { type Checkpoint, CorruptCheckpointError, readCheckpoint, readCheckpointOrDiscard, writeCheckpoint } from '../../src/train/checkpoint.js';
import { tinyVariant } from './train-helpers.js';

const scratch = mkdtempSync(path.join(tmpdir(), 'danq-checkpoint-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function sample(epoch: number): Checkpoint {
  const values = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed + i) * 1e-3);
  return {
    variant: tinyVariant(),
    backend: 'wasm',
    epoch,
    history: [{ epoch: 1, trainLoss: 0.5, valLoss: 0.6, valAuc: 0.7, valPrAuc: 0.65, seconds: 1.5, samplesPerSec: 100 }],
    rng: { shuffle: -123456789, dropout: 42 },
    earlyStopping: { best: 0.7, bestEpoch: 1, wait: 0, stopped: false },
    optimizer: { step: 19, slots: [values(7, 1), values(3, 2)] },
    weights: [values(5, 3), values(1, 4)],
    bestWeights: [values(5, 5), values(1, 6)],
  };
}

test('a checkpoint reads back exactly as written', async () => {
  const dir = path.join(scratch, 'roundtrip');
  await writeCheckpoint(dir, sample(1));
  assert.deepEqual(await readCheckpoint(dir), sample(1));
});

test('rewriting replaces the file atomically and leaves no temp files', async () => {
  const dir = path.join(scratch, 'rewrite');
  await writeCheckpoint(dir, sample(1));
  await writeCheckpoint(dir, sample(2));
  assert.equal((await readCheckpoint(dir))!.epoch, 2);
  assert.deepEqual(readdirSync(dir), ['checkpoint.bin']);
});

test('no checkpoint is undefined; a truncated one is an error', async () => {
  assert.equal(await readCheckpoint(path.join(scratch, 'none')), undefined);
  const dir = path.join(scratch, 'truncated');
  await writeCheckpoint(dir, sample(1));
  const file = path.join(dir, 'checkpoint.bin');
  truncateSync(file, statSync(file).size - 4);
  await assert.rejects(() => readCheckpoint(dir), /truncated or corrupt/);
  truncateSync(file, 100);
  await assert.rejects(() => readCheckpoint(dir), /truncated or corrupt/);
});

test('a damaged checkpoint is moved aside with its reason, and resuming starts over', async () => {
  for (const [name, damage] of [
    ['garbage', (file: string) => writeFileSync(file, Buffer.alloc(64, 7))],
    ['torn', (file: string) => truncateSync(file, 20)],
    ['bad header', (file: string) => writeFileSync(file, Buffer.concat([Buffer.from('DANQCKP1'), Buffer.from([4, 0, 0, 0]), Buffer.from('{"ve')]))],
  ] as const) {
    const dir = path.join(scratch, `damaged-${name.replace(' ', '-')}`);
    await writeCheckpoint(dir, sample(2));
    const file = path.join(dir, 'checkpoint.bin');
    damage(file);
    await assert.rejects(() => readCheckpoint(dir), CorruptCheckpointError, name);
    const reasons: string[] = [];
    assert.equal(await readCheckpointOrDiscard(dir, (r) => reasons.push(r)), undefined, name);
    assert.equal(reasons.length, 1);
    assert.match(reasons[0]!, /checkpoint\.bin.*: moved it to .*checkpoint\.bin\.corrupt and training from epoch 1/);
    assert.ok(!existsSync(file) && existsSync(`${file}.corrupt`), `${name}: the damaged file is kept aside`);
    assert.match(readFileSync(`${file}.corrupt.txt`, 'utf8'), /training from epoch 1/);
  }
  const intact = path.join(scratch, 'intact');
  await writeCheckpoint(intact, sample(3));
  assert.equal((await readCheckpointOrDiscard(intact, () => assert.fail('an intact checkpoint is not discarded')))!.epoch, 3);
  assert.equal(await readCheckpointOrDiscard(path.join(scratch, 'missing'), () => assert.fail('no checkpoint is not damage')), undefined);
});

test('one bad read does not cost a good checkpoint: it is read again before being discarded', async () => {
  const dir = path.join(scratch, 'flaky-read');
  await writeCheckpoint(dir, sample(4));
  const disk = await openArtifactStore(dir);
  let reads = 0;
  // The first read comes back torn (a flaky device or network); the file itself is whole.
  const flaky: ArtifactStore = {
    ...disk,
    locate: (key) => disk.locate(key),
    put: (key, body) => disk.put(key, body),
    list: (prefix) => disk.list(prefix),
    delete: (key) => disk.delete(key),
    async get(key) {
      const stream = await disk.get(key);
      if (reads++ > 0 || !stream) return stream;
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      const bytes = Buffer.concat(chunks);
      return Readable.from([bytes.subarray(0, bytes.length - 100)]);
    },
  };
  const checkpoint = await readCheckpointOrDiscard(flaky, (reason) => assert.fail(`a good checkpoint was discarded: ${reason}`));
  assert.equal(checkpoint?.epoch, 4);
  assert.equal(reads, 2);
  assert.deepEqual(readdirSync(dir), ['checkpoint.bin']);
});

/** A checkpoint file with this header and `dataBytes` bytes of arrays. */
function hostile(header: object, dataBytes: number): Buffer {
  let json = JSON.stringify(header);
  json += ' '.repeat((4 - ((12 + Buffer.byteLength(json)) % 4)) % 4);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(Buffer.byteLength(json));
  return Buffer.concat([Buffer.from('DANQCKP1'), length, Buffer.from(json), Buffer.alloc(dataBytes)]);
}

test('hostile array sizes are refused before anything is allocated', async () => {
  const { optimizer: _o, weights: _w, bestWeights: _b, ...rest } = sample(1);
  const header = (arrays: object) => ({ version: 1, ...rest, optimizerStep: 1, arrays });
  const cases: [string, object, RegExp][] = [
    ['2^40 floats in a small file', { weights: [2 ** 40], slots: [], bestWeights: [] }, /\d+ bytes, its header declares \d+/],
    ['far more than the file holds', { weights: [50_000_000, 50_000_000], slots: [], bestWeights: [] }, /\d+ bytes, its header declares 4000\d{5}/],
    ['a negative length', { weights: [-16, 32], slots: [], bestWeights: [] }, /not lists of non-negative integers/],
    ['a fractional length', { weights: [1.5, 14.5], slots: [], bestWeights: [] }, /not lists of non-negative integers/],
    ['no lengths', {}, /not lists of non-negative integers/],
    ['lengths that are not numbers', { weights: ['16'], slots: [], bestWeights: [] }, /not lists of non-negative integers/],
  ];
  for (const [name, arrays, expected] of cases) {
    const dir = path.join(scratch, `hostile-${name.replace(/\W+/g, '-')}`);
    await writeCheckpoint(dir, sample(1));
    writeFileSync(path.join(dir, 'checkpoint.bin'), hostile(header(arrays), 64));
    const before = process.memoryUsage().arrayBuffers;
    await assert.rejects(
      () => readCheckpoint(dir),
      (err: Error) => err instanceof CorruptCheckpointError && expected.test(err.message),
      name,
    );
    assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 1024 * 1024, `${name}: nothing large was allocated`);
  }
});
