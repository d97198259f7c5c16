import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { openSplit, type DatasetManifest } from '../../src/data/index.js';
import { prepare, rejectsWith, tempDir, write } from './data-helpers.js';

const LABELS = 'id\tCTCF\tYY1\nchr1:1-8\t1\t0\nchr1:9-16\t0\t1\nchr2:1-8\t1\t1\n';
// Wrapped lines, a description after the id, lower case, blank lines, CRLF: all normal FASTA.
const FASTA = '>chr1:1-8 some description\nACGT\nacgt\n\n>chr1:9-16\r\nGGGG\r\nCCCC\r\n>chr2:1-8\nTTTTAAAA\n';

function letters(m: DatasetManifest, split: 'train' | 'valid'): string[] {
  const file = m.splits[split];
  const s = openSplit(file, m);
  const x = new Float32Array(file.count * m.seqLen * 4);
  const y = new Float32Array(file.count * m.taskNames.length);
  s.readBatch(
    Array.from({ length: file.count }, (_, i) => i),
    x,
    y,
  );
  const out: string[] = [];
  for (let i = 0; i < file.count; i++) {
    let seq = '';
    for (let p = 0; p < m.seqLen; p++) seq += 'ACGT'[Array.from(x.subarray((i * m.seqLen + p) * 4, (i * m.seqLen + p + 1) * 4)).indexOf(1)] ?? '?';
    out.push(`${seq}:${Array.from(y.subarray(i * 2, i * 2 + 2)).join('')}`);
  }
  return out;
}

test('FASTA + labels TSV: records matched to labels by id, in FASTA order; gzip works', async () => {
  const dir = tempDir();
  write(dir, 'labels.tsv', LABELS);
  write(dir, 'train.fa', FASTA);
  write(dir, 'valid.fa.gz', gzipSync('>v1\nACGTACGT\n'));
  write(dir, 'all-labels.tsv', LABELS + 'v1\t0\t0\n');
  const m = await prepare(dir, { train: 'train.fa', valid: 'valid.fa.gz', labels: 'all-labels.tsv' });
  assert.deepEqual(m.taskNames, ['CTCF', 'YY1']);
  assert.deepEqual(letters(m, 'train'), ['ACGTACGT:10', 'GGGGCCCC:01', 'TTTTAAAA:11']);
  assert.deepEqual(letters(m, 'valid'), ['ACGTACGT:00']);
});

test('labels of 10,000 tasks (more than the label table starts with, doubled) are all kept', async () => {
  const dir = tempDir();
  const tasks = 10_000;
  const row = (i: number) => Array.from({ length: tasks }, (_, t) => ((t * 7 + i) % 3 === 0 ? 1 : 0));
  const header = ['id', ...Array.from({ length: tasks }, (_, t) => `task${t}`)].join('\t');
  write(dir, 'labels.tsv', [header, ['a', ...row(0)].join('\t'), ['b', ...row(1)].join('\t')].join('\n') + '\n');
  write(dir, 'train.fa', '>a\nACGTACGT\n>b\nGGGGCCCC\n');
  const m = await prepare(dir, { train: 'train.fa', labels: 'labels.tsv', validFraction: 0.5 });
  assert.equal(m.taskNames.length, tasks);
  const labels: number[][] = [];
  for (const split of ['train', 'valid'] as const) {
    const file = m.splits[split];
    const y = new Float32Array(file.count * tasks);
    openSplit(file, m).readBatch(
      Array.from({ length: file.count }, (_, i) => i),
      new Float32Array(file.count * m.seqLen * 4),
      y,
    );
    for (let i = 0; i < file.count; i++) labels.push(Array.from(y.subarray(i * tasks, (i + 1) * tasks)));
  }
  assert.deepEqual(
    labels.sort((p, q) => p[0]! - q[0]!),
    [row(1), row(0)],
  );
});

test('bad input: a FASTA record without a label', async () => {
  const dir = tempDir();
  write(dir, 'labels.tsv', LABELS);
  write(dir, 'train.fa', FASTA + '>chr3:5-12\nACGTACGT\n');
  await rejectsWith(prepare(dir, { train: 'train.fa', labels: 'labels.tsv', validFraction: 0.5 }), /train\.fa record 4 \('chr3:5-12', line 10\): no labels for this id in \S*labels\.tsv/);
});

test('bad input: a label without a FASTA record', async () => {
  const dir = tempDir();
  write(dir, 'labels.tsv', LABELS + 'chrX:1-8\t0\t0\n');
  write(dir, 'train.fa', FASTA);
  await rejectsWith(prepare(dir, { train: 'train.fa', labels: 'labels.tsv', validFraction: 0.5 }), /labels\.tsv line 5: the id 'chrX:1-8' has labels but no record in \S*train\.fa/);
});

test('bad input: duplicate ids in the FASTA file and in the labels file', async () => {
  const dir = tempDir();
  write(dir, 'labels.tsv', LABELS);
  write(dir, 'train.fa', FASTA + '>chr1:9-16\nACGTACGT\n');
  await rejectsWith(
    prepare(dir, { train: 'train.fa', labels: 'labels.tsv', validFraction: 0.5 }),
    /train\.fa record 4 \('chr1:9-16', line 10\): the id 'chr1:9-16' appears twice among the FASTA records \(first at \S*train\.fa line 5\)/,
  );
  write(dir, 'dup-labels.tsv', LABELS + 'chr1:1-8\t0\t0\n');
  await rejectsWith(prepare(dir, { train: 'train.fa', labels: 'dup-labels.tsv', validFraction: 0.5 }), /dup-labels\.tsv: the id 'chr1:1-8' appears twice, on lines 2 and 5/);
});

test('bad input: an invalid character names the FASTA line, the record and the position in the sequence', async () => {
  const dir = tempDir();
  write(dir, 'labels.tsv', LABELS);
  write(dir, 'train.fa', FASTA.replace('acgt\n', 'acUt\n'));
  await rejectsWith(prepare(dir, { train: 'train.fa', labels: 'labels.tsv', validFraction: 0.5 }), /train\.fa line 3 \(record 1, 'chr1:1-8'\), sequence position 7: 'U' is not a DNA base/);
});

test('bad input: a wrong length, an empty FASTA file, sequence before any header, a labels file without an id column', async () => {
  const dir = tempDir();
  write(dir, 'labels.tsv', LABELS);
  write(dir, 'short.fa', FASTA.replace('TTTTAAAA', 'TTTTAAA'));
  await rejectsWith(prepare(dir, { train: 'short.fa', labels: 'labels.tsv', validFraction: 0.5 }), /short\.fa record 3 \('chr2:1-8', line 8\): the sequence is 7 bases long, but seqLen is 8/);
  write(dir, 'empty.fa', '');
  await rejectsWith(prepare(dir, { train: 'empty.fa', labels: 'labels.tsv', validFraction: 0.5 }), /empty\.fa: the file is empty/);
  write(dir, 'headless.fa', 'ACGTACGT\n' + FASTA);
  await rejectsWith(prepare(dir, { train: 'headless.fa', labels: 'labels.tsv', validFraction: 0.5 }), /headless\.fa line 1: sequence data before the first '>' header line/);
  write(dir, 'noid.tsv', 'name\tCTCF\nchr1:1-8\t1\n');
  await rejectsWith(prepare(dir, { train: 'short.fa', labels: 'noid.tsv', validFraction: 0.5 }), /noid\.tsv line 1: no 'id' column in the header \(found 'name', 'CTCF'\)/);
  await rejectsWith(prepare(dir, { train: 'short.fa', validFraction: 0.5 }), /dataset\.labels: is required for FASTA data/);
});

test('FASTA lengthPolicy over wrapped lines: center-crop keeps the middle; the default reports the full length', async () => {
  const dir = tempDir();
  write(dir, 'labels.tsv', 'id\tCTCF\tYY1\nlong\t1\t0\nok\t0\t1\n');
  write(dir, 'train.fa', '>long\nAAAAAAA\nCCCGGGG\nTTTTTT\n>ok\nACGTACGT\n');
  const m = await prepare(dir, { train: 'train.fa', labels: 'labels.tsv', lengthPolicy: 'center-crop', validFraction: 0.5 });
  assert.deepEqual([...letters(m, 'train'), ...letters(m, 'valid')].sort(), ['ACCCGGGG:10', 'ACGTACGT:01']);
  await rejectsWith(prepare(dir, { train: 'train.fa', labels: 'labels.tsv', validFraction: 0.5 }), /train\.fa record 1 \('long', line 1\): the sequence is 20 bases long, but seqLen is 8/);
});
