import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BASE_AMBIGUOUS, BASE_CODE_OF_BYTE, BASE_NONE, COMPLEMENT_CODE, INVALID, decodeOneHot } from '../../src/data/encoding.js';
import { IdHashes } from '../../src/data/ids.js';
import { inferFormat } from '../../src/data/dataset-spec.js';
import { LineSplitter } from '../../src/data/text.js';
import { reverseComplementString } from './data-helpers.js';
import { Rng } from '../../src/rng.js';

test('letters to codes: ACGT in any case, every IUPAC ambiguity code, nothing else', () => {
  const code = (ch: string) => BASE_CODE_OF_BYTE[ch.charCodeAt(0)];
  assert.deepEqual(['A', 'c', 'G', 't'].map(code), [0, 1, 2, 3]);
  for (const ch of 'NRYSWKMBDHVnrysw') assert.equal(code(ch), BASE_AMBIGUOUS, ch);
  for (const ch of 'UXE-.* 0') assert.equal(code(ch), INVALID, ch);
});

test('one-hot rows: A, C, G, T slots, 0.25 for ambiguity, zeros for no base; reverse complement', () => {
  const codes = Uint8Array.from([0, 1, 2, 3, BASE_AMBIGUOUS, BASE_NONE]);
  const x = new Float32Array(4 + 6 * 4).fill(9);
  decodeOneHot(codes, x, 4);
  assert.deepEqual(Array.from(x), [9, 9, 9, 9, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0.25, 0.25, 0.25, 0.25, 0, 0, 0, 0]);
  decodeOneHot(codes, x, 4, true);
  // Reversed order, complemented: none, N, A (of T), C (of G), G (of C), T (of A).
  assert.deepEqual(Array.from(x.subarray(4)), [0, 0, 0, 0, 0.25, 0.25, 0.25, 0.25, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
  assert.deepEqual(Array.from(COMPLEMENT_CODE), [3, 2, 1, 0, BASE_AMBIGUOUS, BASE_NONE]);
  assert.equal(reverseComplementString('AACGTn'), 'nACGTT');
});

test('line splitting is the same whatever the chunk boundaries (LF and CRLF)', () => {
  const text = Array.from({ length: 300 }, (_, i) => `line ${i}\t${'ACGT'.repeat(i % 7)}${i % 3 === 0 ? '\r' : ''}`).join('\n');
  const expected = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const bytes = Buffer.from(text);
  const rng = new Rng(1);
  for (let trial = 0; trial < 20; trial++) {
    const lines: string[] = [];
    const numbers: number[] = [];
    const splitter = new LineSplitter({ abs: '/x', display: 'x' });
    const onLine = (buf: Buffer, s: number, e: number, n: number) => {
      lines.push(buf.toString('utf8', s, e));
      numbers.push(n);
    };
    for (let pos = 0; pos < bytes.length;) {
      const size = rng.int(1, trial < 10 ? 5 : 400);
      splitter.push(bytes.subarray(pos, pos + size), onLine);
      pos += size;
    }
    splitter.end(onLine);
    assert.deepEqual(lines, expected);
    assert.equal(numbers.at(-1), 300);
  }
});

test('duplicate-id candidates: equal ids give one repeated hash, distinct ids none', () => {
  const ids = new IdHashes();
  const add = (s: string) => ids.add(Buffer.from(s), 0, s.length);
  for (let i = 0; i < 10000; i++) add(`chr1:${i}-${i + 200}`);
  assert.equal(ids.repeated().size, 0);
  add('chr1:17-217');
  assert.equal(ids.repeated().size, 1);
});

test('format from the file name, .gz ignored', () => {
  assert.equal(inferFormat('a/b.TSV.gz'), 'tsv');
  assert.equal(inferFormat('x.csv'), 'csv');
  assert.equal(inferFormat('reads.fa.bgz'), 'fasta');
  assert.equal(inferFormat('train.mat'), 'deepsea');
  assert.equal(inferFormat('data.bin'), undefined);
});
