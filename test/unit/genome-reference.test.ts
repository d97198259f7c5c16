import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { buildFastaIndex, openReferenceGenome } from '../../src/genome/reference.js';
import { Rng } from '../../src/rng.js';
import { fastaText, randomSequence, tool, writeTwoBit } from '../support/genome-tools.js';
import { rejectsWith, tempDir, write } from './data-helpers.js';

const rng = new Rng(7);
const chromosomes = new Map([
  ['chr1', randomSequence(25_013, rng, { masked: true, nRuns: true })],
  ['chr2', randomSequence(9_600, rng, { masked: true })],
  ['chrM', randomSequence(1_657, rng, { nRuns: true })],
]);

test('the .fai built for a FASTA without one is byte-identical to samtools faidx', async () => {
  const dir = tempDir();
  for (const [name, text] of [
    ['w60.fa', fastaText(chromosomes, 60)],
    ['w50.fa', fastaText(chromosomes, 50)],
    // CRLF, blank lines between records, a header with leading blanks, no final newline, an empty record.
    ['odd.fa', '>a desc\r\nACGTA\r\nCG\r\n\r\n\n>  b\tx\nAC\n>empty\n>c\nACGTNNacgt'],
  ] as const) {
    const file = write(dir, name, text);
    const reference = path.join(dir, `ref-${name}`);
    copyFileSync(file, reference);
    tool('samtools', ['faidx', reference]);
    assert.equal(await buildFastaIndex(file), readFileSync(`${reference}.fai`, 'utf8'), name);
  }
});

test('opening a FASTA without .fai writes the index beside it and reads every chromosome in order', async () => {
  const dir = tempDir();
  const file = write(dir, 'ref.fa', fastaText(chromosomes));
  const genome = await openReferenceGenome(file);
  assert.ok(existsSync(`${file}.fai`));
  assert.deepEqual(
    [...genome.chromosomes],
    [...chromosomes].map(([name, seq]) => [name, seq.length]),
  );
  assert.equal(await genome.fetch('chr1', 0, 25_013), chromosomes.get('chr1'));
  await genome.close();
});

test('plain FASTA, bgzipped FASTA and .2bit read the same bases, case kept, as samtools faidx prints them', async () => {
  const dir = tempDir();
  const plain = write(dir, 'ref.fa', fastaText(chromosomes));
  write(dir, 'bgz.fa', fastaText(chromosomes, 70));
  tool('bgzip', ['-f', path.join(dir, 'bgz.fa')]);
  tool('samtools', ['faidx', path.join(dir, 'bgz.fa.gz')]);
  const twoBit = path.join(dir, 'ref.2bit');
  writeTwoBit(twoBit, chromosomes);
  const genomes = await Promise.all([plain, path.join(dir, 'bgz.fa.gz'), twoBit].map((f) => openReferenceGenome(f)));
  for (const g of genomes)
    assert.deepEqual(
      [...g.chromosomes],
      [...chromosomes].map(([name, seq]) => [name, seq.length]),
    );
  const ranges: [string, number, number][] = [
    ['chr1', 0, 1],
    ['chr1', 24_000, 25_013],
    ['chrM', 0, 1_657],
    ['chr2', 5, 5],
  ];
  for (let k = 0; k < 30; k++) {
    const [name, seq] = [...chromosomes][rng.int(0, 2)]!;
    const start = rng.int(0, seq.length - 1);
    ranges.push([name, start, rng.int(start, seq.length)]);
  }
  for (const [chrom, start, end] of ranges) {
    const expected = chromosomes.get(chrom)!.slice(start, end);
    for (const g of genomes) assert.equal(await g.fetch(chrom, start, end), expected, `${g.path} ${chrom}:${start}-${end}`);
    if (end > start) {
      const region = `${chrom}:${start + 1}-${end}`;
      assert.equal(tool('samtools', ['faidx', plain, region]).split('\n').slice(1).join(''), expected, region);
    }
  }
});

test('unknown chromosomes and ranges past the end are UserErrors naming the file; a chr prefix mismatch says so', async () => {
  const dir = tempDir();
  const genome = await openReferenceGenome(write(dir, 'ref.fa', fastaText(chromosomes)));
  await rejectsWith(genome.fetch('1', 0, 10), /ref\.fa: unknown chromosome '1'/, /chr1, chr2, chrM/, /'chr1'/, /'chr' prefix/);
  await rejectsWith(genome.fetch('chrX', 0, 10), /unknown chromosome 'chrX'/);
  const noHint = await rejectsWith(genome.fetch('chrX', 0, 10));
  assert.doesNotMatch(noHint, /prefix/);
  await rejectsWith(genome.fetch('chrM', 1_000, 1_658), /ref\.fa: cannot read chrM:1000-1658: chrM is 1657 bp long/);
  await rejectsWith(genome.fetch('chrM', -1, 10), /chrM:-1-10/);
});

test('a bgzipped FASTA without .fai or .gzi, a missing genome and a FASTA with ragged lines are UserErrors saying what to do', async () => {
  const dir = tempDir();
  const bgz = path.join(dir, 'ref.fa');
  write(dir, 'ref.fa', fastaText(chromosomes));
  tool('bgzip', ['-f', bgz]);
  await rejectsWith(openReferenceGenome(`${bgz}.gz`), /ref\.fa\.gz: this bgzipped FASTA has no index/, /samtools faidx/);
  tool('samtools', ['faidx', `${bgz}.gz`]);
  rmSync(`${bgz}.gz.gzi`);
  await rejectsWith(openReferenceGenome(`${bgz}.gz`), /no .*ref\.fa\.gz\.gzi/, /samtools faidx/, /bgzip -r/);
  await rejectsWith(openReferenceGenome(path.join(dir, 'absent.fa')), /absent\.fa: file not found/);
  const ragged = write(dir, 'ragged.fa', '>a\nACGT\nAC\nACGT\n');
  await rejectsWith(openReferenceGenome(ragged), /ragged\.fa line 4: sequence 'a' has a line of another length/);
  assert.ok(!existsSync(`${ragged}.fai`));
});
