import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openDeepSea } from '../../src/data/deepsea.js';
import { openSplit, prepareDataset, type DatasetManifest } from '../../src/data/index.js';
import { sourceFile } from '../../src/data/source.js';
import { codesToString, rejectsWith, reverseComplementString, tempDir, write } from './data-helpers.js';

const fixtures = fileURLToPath(new URL('../fixtures/data/', import.meta.url));
const expected = JSON.parse(readFileSync(path.join(fixtures, 'deepsea-expected.json'), 'utf8')) as {
  seqLen: number;
  tasks: number;
} & Record<'train' | 'valid' | 'test', { sequences: string[]; labels: number[][] }>;
const bundle = { format: 'deepsea' as const, train: 'train.mat', valid: 'valid.mat', test: 'test.mat' };

function prepareBundle(seqLen: number, extra: object = {}, windowBytes?: number) {
  const dir = tempDir();
  return prepareDataset({ ...bundle, ...extra }, { seqLen, baseDir: fixtures, cacheDir: path.join(dir, 'cache'), ...(windowBytes ? { windowBytes } : {}) });
}

/** Letters per sample (all-zero columns read as N) and labels. */
function decode(m: DatasetManifest, split: 'train' | 'valid' | 'test') {
  const file = m.splits[split]!;
  const s = openSplit(file, m);
  const x = new Float32Array(file.count * m.seqLen * 4);
  const y = new Float32Array(file.count * m.taskNames.length);
  s.readBatch(
    Array.from({ length: file.count }, (_, i) => i),
    x,
    y,
  );
  const sequences = Array.from({ length: file.count }, (_, i) => {
    let seq = '';
    for (let p = 0; p < m.seqLen; p++) {
      const col = Array.from(x.subarray((i * m.seqLen + p) * 4, (i * m.seqLen + p + 1) * 4));
      seq += col.every((v) => v === 0) ? 'N' : ('ACGT'[col.indexOf(1)] ?? '?');
    }
    return seq;
  });
  const T = m.taskNames.length;
  return { sequences, labels: Array.from({ length: file.count }, (_, i) => Array.from(y.subarray(i * T, (i + 1) * T))) };
}

test('DeepSEA bundle: train.mat (v7.3/HDF5), valid.mat (v5 compressed), test.mat (v5, double labels) load with the right shapes', async () => {
  const m = await prepareBundle(expected.seqLen);
  assert.equal(m.seqLen, 24);
  assert.deepEqual(m.taskNames, ['task1', 'task2', 'task3']);
  assert.deepEqual([m.splits.train.count, m.splits.valid.count, m.splits.test!.count], [7, 5, 4]);
  for (const split of ['train', 'valid', 'test'] as const) assert.deepEqual(decode(m, split), expected[split], split);
});

test('DeepSEA orientation: a known base lands in its one-hot slot (channels A, C, G, T; N all zero)', async () => {
  const m = await prepareBundle(expected.seqLen);
  const s = openSplit(m.splits.train, m);
  const x = new Float32Array(m.seqLen * 4);
  s.readBatch([0], x, new Float32Array(3));
  // train sample 0 starts ACGTN (written in DeepSEA's A, G, C, T channel order by the fixture generator).
  assert.deepEqual(Array.from(x.subarray(0, 20)), [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0]);
});

test('DeepSEA: reading in small windows gives the same data; center-crop applies to .mat sequences too', async () => {
  const whole = await prepareBundle(expected.seqLen);
  const windowed = await prepareBundle(expected.seqLen, {}, 1);
  assert.equal(windowed.fingerprint, whole.fingerprint);
  for (const split of ['train', 'valid', 'test'] as const) assert.deepEqual(decode(windowed, split), decode(whole, split));
  const cropped = await prepareBundle(20, { lengthPolicy: 'center-crop' });
  assert.deepEqual(
    decode(cropped, 'valid').sequences,
    expected.valid.sequences.map((s) => s.slice(2, 22)),
  );
});

test("DeepSEA's own example.h5: 8 sequences of 1000 bp, one-hot, strands paired, CpG-depleted as human DNA is", async () => {
  const arrays = await openDeepSea(sourceFile('deepsea-example.h5', fixtures), 'test', { requireLabels: false });
  assert.deepEqual([arrays.count, arrays.length, arrays.numTasks], [8, 1000, 0]);
  const codes = new Uint8Array(8 * 1000);
  await arrays.read(0, 8, codes, undefined);
  arrays.close();
  const seqs = Array.from({ length: 8 }, (_, i) => codesToString(codes.subarray(i * 1000, (i + 1) * 1000)));
  // Decoded independently with h5py, channel order A, G, C, T.
  assert.equal(seqs[0]!.slice(0, 30), 'GTGCCTCTGGGAGGAGAGGGACTCCTGGGG');
  for (let i = 0; i < 4; i++) assert.equal(seqs[i + 4], reverseComplementString(seqs[i]!), `sequence ${i + 5} is the reverse complement of ${i + 1}`);
  // With C and G swapped, CG and GC counts would swap: in human DNA CpG is rare.
  const count = (dinucleotide: string) => seqs.slice(0, 4).join('|').split(dinucleotide).length - 1;
  assert.ok(count('CG') * 3 < count('GC'), `CG ${count('CG')} vs GC ${count('GC')}`);
});

test('bad input: a .mat file missing the expected variable', async () => {
  await rejectsWith(prepareBundle(expected.seqLen, { valid: 'missing-x.mat' }), /missing-x\.mat: no variable 'validxdata' with the one-hot sequences\. The file holds: validdata\./);
  await rejectsWith(
    prepareDataset({ format: 'deepsea', train: 'deepsea-example.h5', validFraction: 0.5 }, { seqLen: 1000, baseDir: fixtures, cacheDir: path.join(tempDir(), 'c') }),
    /deepsea-example\.h5: no variable 'traindata' with the labels\. The file holds: testxdata\./,
  );
});

test('bad input: truncated .mat files (v5 and HDF5), a value that is not one-hot', async () => {
  const dir = tempDir();
  const valid = readFileSync(path.join(fixtures, 'valid.mat'));
  write(dir, 'valid.mat', valid.subarray(0, valid.length - 40));
  const train = readFileSync(path.join(fixtures, 'train.mat'));
  write(dir, 'train.mat', train.subarray(0, 3000));
  const opts = { seqLen: 24, baseDir: dir, cacheDir: path.join(dir, 'cache') };
  await rejectsWith(prepareDataset({ format: 'deepsea', train: path.join(fixtures, 'train.mat'), valid: 'valid.mat' }, opts), /valid\.mat: the MAT-file ends early: it is truncated/);
  await rejectsWith(prepareDataset({ format: 'deepsea', train: 'train.mat', valid: path.join(fixtures, 'valid.mat') }, opts), /train\.mat: cannot read the HDF5 file .*truncated or damaged/);
  // Byte 3 of the uncompressed test.mat's sequence data set to 2: sample 4, position 1, channel 1.
  const test = Buffer.from(readFileSync(path.join(fixtures, 'test.mat')));
  const dataStart = test.indexOf(Buffer.from('testxdata')) + 16 + 8; // padded name, then the data tag
  test[dataStart + 3] = 2;
  write(dir, 'test.mat', test);
  await rejectsWith(
    prepareDataset({ format: 'deepsea', train: path.join(fixtures, 'train.mat'), valid: path.join(fixtures, 'valid.mat'), test: 'test.mat' }, opts),
    /test\.mat: 'testxdata' sequence 4, position 1: value 2 in channel 1; expected 0 or 1/,
  );
});
