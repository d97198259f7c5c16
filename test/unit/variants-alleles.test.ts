// Variant scoring's pure parts: multi-allelic splitting and what is skipped, the windows of SNVs
// and indels (length kept, allele centred), the REF check, the chr-prefix error; the streaming
// VCF reader on a VCF normalised by bcftools norm and compressed by bgzip (indexed by tabix), as
// a user's calls arrive; ISM's enumeration and region parsing; the report's reading of ISM effects.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sourceFile } from '../../src/data/source.js';
import { alleleWindow, contextRange, leftFlank, MAX_ALLELE_BP, refMatches, splitAlleles, unknownChromosomeError } from '../../src/variants/alleles.js';
import { logit } from '../../src/variants/effects.js';
import { mutations, parseRegion } from '../../src/variants/ism.js';
import { readVcf, type VcfRecord } from '../../src/variants/vcf.js';
import { importantStretch, impliedDistribution } from '../../src/report/ism.js';

const record = (ref: string, alts: string[], pos = 100): VcfRecord => ({ chrom: 'chr1', pos, id: '.', ref, alts, line: 5, text: '' });

test('multi-allelic records split into one allele per ALT; symbolic and long alleles are skipped with their reason', () => {
  const long = 'A'.repeat(MAX_ALLELE_BP + 1);
  assert.deepEqual(splitAlleles(record('A', ['C', 'G', '<DEL>', '*', 'A[chr2:5[', long, 'ACGTN']), 1000), [
    { alt: 'C' },
    { alt: 'G' },
    { alt: '<DEL>', skip: 'symbolic' },
    { alt: '*', skip: 'symbolic' },
    { alt: 'A[chr2:5[', skip: 'symbolic' },
    { alt: long, skip: 'long' },
    { alt: 'ACGTN' },
  ]);
  assert.deepEqual(splitAlleles(record(long, ['A']), 1000), [{ alt: 'A', skip: 'long' }], 'a long REF (a deletion) too');
  assert.deepEqual(splitAlleles(record('ACGT', ['A']), 3), [{ alt: 'A', skip: 'long' }], 'an allele longer than the window');
});

// A genome stretch with positions that are easy to read: base i (0-based) of "chromosome" text.
const genome = 'ACGTTGCAAC'.repeat(10);
const windowOf = (seqLen: number, pos: number, ref: string, alt: string) => {
  const range = contextRange(seqLen, pos, ref.length, [alt.length]);
  const context = genome.slice(range.start, range.end);
  return {
    range,
    ref: alleleWindow(seqLen, context, range.start, pos, ref.length, ref),
    alt: alleleWindow(seqLen, context, range.start, pos, ref.length, alt),
    matches: refMatches(context, range.start, pos, ref),
  };
};

test('SNV windows: the same genome bases but the one, which sits at floor((seqLen - 1) / 2)', () => {
  for (const seqLen of [10, 11]) {
    const pos = 50; // 1-based: genome[49]
    const w = windowOf(seqLen, pos, genome[49]!, 'N');
    assert.equal(w.ref.length, seqLen);
    assert.equal(w.alt.length, seqLen);
    const at = leftFlank(seqLen, 1);
    assert.equal(at, Math.floor((seqLen - 1) / 2));
    assert.equal(w.ref, genome.slice(49 - at, 49 - at + seqLen), 'the reference window is the genome');
    assert.equal(w.alt, w.ref.slice(0, at) + 'N' + w.ref.slice(at + 1));
    assert.ok(w.matches);
  }
});

test('indel windows keep seqLen: a deletion takes more right flank, an insertion less; each allele is centred', () => {
  const seqLen = 12;
  const pos = 40;
  // Deletion of 3 bases after the anchor: REF = genome[39..42], ALT = anchor.
  const del = windowOf(seqLen, pos, genome.slice(39, 43), genome[39]!);
  assert.equal(del.ref, genome.slice(39 - 4, 39 - 4 + 12), 'REF of 4 bp: 4 bases before it');
  assert.equal(del.alt, genome.slice(39 - 5, 40) + genome.slice(43, 43 + 6), 'ALT of 1 bp: 5 before, 6 after the deleted span');
  // Insertion of TTT after the anchor.
  const ins = windowOf(seqLen, pos, genome[39]!, genome[39]! + 'TTT');
  assert.equal(ins.alt, genome.slice(39 - 4, 39) + genome[39]! + 'TTT' + genome.slice(40, 44));
  assert.equal(ins.ref, genome.slice(39 - 5, 39 - 5 + 12));
  assert.equal(ins.alt.length, seqLen);
  assert.deepEqual(ins.range, { start: 34, end: 46 }, 'one genome fetch covers both windows');
});

test('the REF check ignores case (soft-masked genomes) and catches a wrong base', () => {
  assert.ok(refMatches('acgtAC', 10, 12, 'CG'));
  assert.ok(!refMatches('acgtAC', 10, 12, 'CA'));
});

test('a chr-prefix difference is named, both ways, with the bcftools fix; another unknown chromosome lists the genome names', () => {
  const vcf = sourceFile('calls.vcf', process.cwd());
  const noPrefix = new Map([
    ['1', 100],
    ['2', 100],
  ]);
  const a = unknownChromosomeError(vcf, 12, 'chr1', 'ref.fa', noPrefix);
  assert.match(a.message, /calls\.vcf line 12: chromosome 'chr1' is not in the genome ref\.fa, which names it '1': the VCF uses the 'chr' prefix and the genome does not/);
  assert.match(a.message, /bcftools annotate --rename-chrs/);
  assert.match(a.message, /'chr1 1'/);
  const b = unknownChromosomeError(vcf, 3, '2', 'ref.fa', new Map([['chr2', 5]]));
  assert.match(b.message, /has no 'chr' prefix and the genome has/);
  const c = unknownChromosomeError(vcf, 3, 'chrUn_x', 'ref.fa', noPrefix);
  assert.match(c.message, /calls\.vcf line 3: chromosome 'chrUn_x' is not in the genome ref\.fa \(its 2 sequences: 1, 2\)/);
});

test('log-odds: logit, finite at saturated probabilities', () => {
  assert.equal(logit(0.5), 0);
  assert.ok(Math.abs(logit(0.9) - Math.log(9)) < 1e-12);
  assert.ok(Number.isFinite(logit(1)) && Number.isFinite(logit(0)));
  assert.ok(Math.abs(logit(1) + logit(0)) < 1e-6 && logit(1) > 16);
});

function haveTools(): boolean {
  try {
    execFileSync('bcftools', ['--version']);
    execFileSync('bgzip', ['--version']);
    return true;
  } catch {
    return false;
  }
}

test('a VCF through bcftools norm -m -any, bgzip and tabix streams record by record, as the plain file does', { skip: !haveTools() && 'bcftools/bgzip not installed' }, async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'variants-vcf-'));
  const fa = path.join(dir, 'ref.fa');
  writeFileSync(fa, `>chr1\n${genome.match(/.{1,60}/g)!.join('\n')}\n`);
  const header = ['##fileformat=VCFv4.2', '##contig=<ID=chr1,length=100>', '##INFO=<ID=DP,Number=1,Type=Integer,Description="depth">', '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO'];
  // genome[9] = C, genome[19..21] = CAC; a multi-allelic SNV, and a deletion in a repeat that norm left-aligns.
  const rows = [`chr1\t10\tv1\tC\tA,G\t.\tPASS\t.`, `chr1\t20\tv2\tCAC\tC\t.\tPASS\tDP=3`];
  const raw = path.join(dir, 'raw.vcf');
  writeFileSync(raw, [...header, ...rows].join('\n') + '\n');
  const gz = path.join(dir, 'norm.vcf.gz');
  execFileSync('bcftools', ['norm', '-m', '-any', '-f', fa, '-Oz', '-o', gz, raw], { stdio: 'pipe' });
  execFileSync('tabix', ['-p', 'vcf', gz]);
  assert.ok(existsSync(`${gz}.tbi`), 'tabix indexes the bgzipped file, so it is real BGZF');
  const plain = path.join(dir, 'norm.vcf');
  writeFileSync(plain, execFileSync('bgzip', ['-dc', gz]));

  const read = async (file: string) => {
    const records: Omit<VcfRecord, 'text' | 'line'>[] = [];
    let headerLines: readonly string[] = [];
    const n = await readVcf(sourceFile(file, dir), {
      header: (lines) => (headerLines = lines),
      record: async (r) => {
        await new Promise((resolve) => setImmediate(resolve));
        records.push({ chrom: r.chrom, pos: r.pos, id: r.id, ref: r.ref, alts: r.alts });
      },
    });
    return { n, records, headerLines };
  };
  const fromGz = await read(gz);
  // bcftools' own reading of the file is the reference.
  const expected = execFileSync('bcftools', ['query', '-f', '%CHROM\t%POS\t%ID\t%REF\t%ALT\n', gz], { encoding: 'utf8' })
    .trimEnd()
    .split('\n')
    .map((l) => l.split('\t'))
    .map(([chrom, pos, id, ref, alt]) => ({ chrom: chrom!, pos: Number(pos), id: id!, ref: ref!, alts: alt!.split(',') }));
  assert.equal(expected.length, 3, 'norm -m -any split the multi-allelic record');
  assert.ok(expected.every((r) => r.alts.length === 1));
  assert.deepEqual(fromGz.records, expected);
  assert.equal(fromGz.n, 3);
  assert.match(fromGz.headerLines.at(-1)!, /^#CHROM\tPOS/);
  assert.deepEqual(await read(plain), fromGz);
});

test('a malformed VCF line is a UserError naming the file and line', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'variants-bad-'));
  const header = '##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n';
  const cases: [string, RegExp][] = [
    ['chr1\t10\t.\tA\tC\t.\tPASS\t.\nchr1\tten\t.\tA\tC\t.\tPASS\t.\n', /bad\.vcf line 4: POS 'ten' is not a positive integer/],
    ['chr1\t10\t.\tA\n', /bad\.vcf line 3: expected at least 8 tab-separated columns .* got 4/],
    ['chr1\t10\t.\tX\tC\t.\tPASS\t.\n', /bad\.vcf line 3: REF 'X' is not a sequence of A, C, G, T, N/],
  ];
  for (const [body, message] of cases) {
    const file = path.join(dir, 'bad.vcf');
    writeFileSync(file, header + body);
    await assert.rejects(readVcf(sourceFile(file, dir), { header: () => {}, record: () => {} }), (err: Error) => err.name === 'UserError' && message.test(err.message));
  }
  writeFileSync(path.join(dir, 'bad.vcf'), 'chr1\t10\t.\tA\tC\t.\tPASS\t.\n');
  await assert.rejects(readVcf(sourceFile('bad.vcf', dir), { header: () => {}, record: () => {} }), /line 1: expected the VCF header/);
});

test('ISM enumerates 3 changes per position (4 at an N), in position then A, C, G, T order', () => {
  const codes = new Uint8Array([0, 3, 4, 1]);
  const all = mutations(codes, 0, 4);
  assert.equal(all.length, 3 + 3 + 4 + 3);
  assert.deepEqual(
    all.slice(0, 3).map((m) => m.base),
    [1, 2, 3],
  );
  assert.deepEqual(
    all.filter((m) => m.index === 2).map((m) => m.base),
    [0, 1, 2, 3],
  );
  assert.deepEqual(mutations(codes, 1, 2), [
    { index: 1, base: 0 },
    { index: 1, base: 1 },
    { index: 1, base: 2 },
  ]);
});

test('ISM regions: samtools-style, commas allowed; bad ones named', () => {
  assert.deepEqual(parseRegion('chr1:1,000-1,050'), { chrom: 'chr1', start: 1000, end: 1050 });
  assert.deepEqual(parseRegion('HLA-A*01:01:1-5'), { chrom: 'HLA-A*01:01', start: 1, end: 5 });
  assert.throws(() => parseRegion('chr1:50-10'), /--region: expected chrom:start-end .* got 'chr1:50-10'/);
  assert.throws(() => parseRegion('chr1'), /--region/);
});

test('report: the implied base distribution is a softmax of the log-odds effects; the important stretch is where effects are largest', () => {
  const p = impliedDistribution([0, -Math.log(2), -Math.log(2), -Math.log(4)]);
  assert.deepEqual(
    p.map((x) => Number(x.toFixed(12))),
    [0.4, 0.2, 0.2, 0.1].map((x) => Number((x / 0.9).toFixed(12))),
  );
  const logOdds = Array.from({ length: 60 }, (_, i) => (i >= 30 && i < 40 ? [0, -3, -3, -3] : [0, 0.1, -0.1, 0]));
  const stretch = importantStretch({ id: 's', task: 't', positions: logOdds.map((_, i) => i + 1), ref: logOdds.map(() => 'A'), diff: logOdds, logOdds });
  assert.equal(stretch.end - stretch.start, 24);
  assert.ok(stretch.start <= 30 && stretch.end >= 40, `the stretch ${stretch.start}-${stretch.end} covers positions 30-39`);
});
