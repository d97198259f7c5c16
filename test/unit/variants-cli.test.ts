// sweep variants and sweep ism through the real CLI, on a model that learned a planted JASPAR
// motif (#24, Foxq1) and a small genome (FASTA indexed by samtools faidx) with one instance of it:
// SNVs that break the site rank below neutral ones (by diff); every score equals what
// sweep predict gives on the same windows (built here from the genome text, independently of
// src/variants); the VCF output carries the same numbers (read back by bcftools query); a bgzipped
// VCF gives the same output; bad input exits 2 naming the file and line, and writes nothing.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { jasparMotifs } from '../../src/data/index.js';
import { Rng } from '../../src/rng.js';
import { runSweepCli } from '../support/cli.js';
import { trainAndExport, type TrainedModel } from './predict-helpers.js';

const MOTIF = 24;
const SEQ_LEN = 100;
/** 0-based start of the planted site on chr1. */
const SITE = 1000;

let model: TrainedModel;
let work: string;
let chr1: string;
let genome: string;
let siteBases: { index: number; best: number }[];
const task = `motif${MOTIF}`;

before(async () => {
  model = await trainAndExport([MOTIF], { variant: { seqLen: SEQ_LEN, convKernel: 12, epochs: 5 }, train: 2000, valid: 500 });
  assert.ok(model.bestValAuc > 0.85, `the model learned the motif (val AUC ${model.bestValAuc})`);
  work = path.dirname(model.dir);
  const rng = new Rng(11);
  const random = (n: number) => Array.from({ length: n }, () => 'ACGT'[rng.int(0, 3)]).join('');
  const pfm = jasparMotifs()[MOTIF]!.pfm;
  // The consensus site; its confident positions (p >= 0.8) are the ones an SNV breaks.
  const consensus = pfm.map((row) => 'ACGT'[row.indexOf(Math.max(...row))]).join('');
  siteBases = pfm.map((row, index) => ({ index, best: Math.max(...row) })).filter((b) => b.best >= 0.8);
  assert.ok(siteBases.length >= 3, 'the motif has confident positions');
  chr1 = random(SITE) + consensus + random(2000 - SITE - consensus.length);
  genome = path.join(work, 'genome.fa');
  const wrap = (s: string) => s.match(/.{1,60}/g)!.join('\n');
  writeFileSync(genome, `>chr1\n${wrap(chr1)}\n>chr2\n${wrap(random(500))}\n`);
  execFileSync('samtools', ['faidx', genome]);
});

const HEADER = [
  '##fileformat=VCFv4.2',
  '##contig=<ID=chr1,length=2000>',
  '##contig=<ID=chr2,length=500>',
  '##INFO=<ID=DP,Number=1,Type=Integer,Description="depth">',
  '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO',
];

interface Snv {
  id: string;
  pos: number;
  ref: string;
  alt: string;
}

/** For each confident site base, the change to its least likely base; neutral SNVs far from the site. */
function snvs(): { breaking: Snv[]; neutral: Snv[] } {
  const pfm = jasparMotifs()[MOTIF]!.pfm;
  const breaking = siteBases.map(({ index }) => {
    const row = pfm[index]!;
    const pos = SITE + index + 1;
    return { id: `break${index}`, pos, ref: chr1[pos - 1]!, alt: 'ACGT'[row.indexOf(Math.min(...row))]! };
  });
  const neutral = [200, 420, 640, 1400, 1650, 1800].map((pos, i) => {
    const ref = chr1[pos - 1]!;
    return { id: `neutral${i}`, pos, ref, alt: 'ACGT'.replace(ref, '')[i % 3]! };
  });
  return { breaking, neutral };
}

function writeVcf(file: string, rows: string[]): string {
  writeFileSync(file, [...HEADER, ...rows].join('\n') + '\n');
  return file;
}

const row = (v: Snv, chrom = 'chr1') => `${chrom}\t${v.pos}\t${v.id}\t${v.ref}\t${v.alt}\t.\tPASS\t.`;

function table(text: string): Record<string, string>[] {
  const [head, ...lines] = text.trimEnd().split('\n');
  const columns = head!.split('\t');
  return lines.map((l) => Object.fromEntries(l.split('\t').map((v, i) => [columns[i]!, v])));
}

/** The window of SEQ_LEN holding `allele` in place of REF at 1-based pos: floor((L - a) / 2) genome bases before it. */
function window(pos: number, ref: string, allele: string): string {
  const left = Math.floor((SEQ_LEN - allele.length) / 2);
  const start = pos - 1;
  return chr1.slice(start - left, start) + allele + chr1.slice(start + ref.length, start + ref.length + SEQ_LEN - allele.length - left);
}

test('site-breaking SNVs rank below neutral ones; scores equal sweep predict on the same windows; the VCF output and a bgzipped input agree', async () => {
  const { breaking, neutral } = snvs();
  // A deletion and an insertion near the site, and a multi-allelic record.
  const indels = [
    { id: 'del', pos: SITE - 3, ref: chr1.slice(SITE - 4, SITE), alt: chr1[SITE - 4]! },
    { id: 'ins', pos: 1500, ref: chr1[1499]!, alt: chr1[1499]! + 'GATTACA' },
  ];
  const multi = { id: 'multi', pos: 300, ref: chr1[299]!, alts: 'ACGT'.replace(chr1[299]!, '').split('') };
  const vcf = writeVcf(path.join(work, 'calls.vcf'), [
    ...[...breaking, ...neutral, ...indels].sort((a, b) => a.pos - b.pos).map((v) => row(v)),
    `chr1\t300\tmulti\t${multi.ref}\t${multi.alts.join(',')}\t.\tPASS\tDP=4`,
  ]);
  const out = path.join(work, 'effects.tsv');
  const r = await runSweepCli(['variants', '--model', model.dir, '--vcf', vcf, '--genome', genome, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const records = breaking.length + neutral.length + indels.length + 1;
  assert.match(r.stderr, new RegExp(`${records} records, ${records + 2} alleles scored`));
  const rows = table(readFileSync(out, 'utf8'));
  assert.deepEqual(Object.keys(rows[0]!), ['chrom', 'pos', 'id', 'ref', 'alt', `${task}_ref`, `${task}_alt`, `${task}_diff`, `${task}_logodds`, 'ref_match']);
  assert.equal(rows.length, breaking.length + neutral.length + indels.length + 3);
  assert.deepEqual(
    rows.filter((x) => x.id === 'multi').map((x) => x.alt),
    multi.alts,
    'the multi-allelic record is split, one row per ALT in order',
  );
  assert.ok(rows.every((x) => x.ref_match === '1'));
  const diff = (id: string) => Number(rows.find((x) => x.id === id)![`${task}_diff`]);
  const breakDiffs = breaking.map((v) => diff(v.id));
  const neutralDiffs = neutral.map((v) => diff(v.id));
  console.log(`# site-breaking diffs ${breakDiffs.map((d) => d.toFixed(3)).join(' ')}; neutral ${neutralDiffs.map((d) => d.toFixed(3)).join(' ')}`);
  // Ranked as the issue asks (site-breaking below neutral), not each pair: a tiny model has noise.
  const pairs = breakDiffs.flatMap((b) => neutralDiffs.map((n) => (b < n ? 1 : 0)));
  const auc = pairs.reduce((a: number, b: number) => a + b, 0) / pairs.length;
  assert.ok(auc >= 0.8, `site-breaking SNVs rank below neutral ones (AUC ${auc.toFixed(2)})`);
  assert.ok(Math.min(...breakDiffs) < Math.min(...neutralDiffs), 'the largest loss breaks the site');
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  assert.ok(mean(breakDiffs) < mean(neutralDiffs) - 0.03, 'breaking the site lowers the probability');
  for (const x of rows) {
    const ref = Number(x[`${task}_ref`]);
    const alt = Number(x[`${task}_alt`]);
    assert.ok(Math.abs(Number(x[`${task}_diff`]) - (alt - ref)) < 1e-6);
    const logit = (p: number) => Math.log(p / (1 - p));
    assert.ok(Math.abs(Number(x[`${task}_logodds`]) - (logit(alt) - logit(ref))) < 1e-4 * Math.max(1, Math.abs(logit(alt) - logit(ref))));
  }

  // The same windows, cut here from the genome text, through sweep predict.
  const windows = rows.flatMap((x) => [
    { id: `${x.id}_${x.alt}_ref`, sequence: window(Number(x.pos), x.ref!, x.ref!) },
    { id: `${x.id}_${x.alt}_alt`, sequence: window(Number(x.pos), x.ref!, x.alt!) },
  ]);
  const fa = path.join(work, 'windows.fa');
  writeFileSync(fa, windows.map((w) => `>${w.id}\n${w.sequence}\n`).join(''));
  const p = await runSweepCli(['predict', '--model', model.dir, fa]);
  assert.equal(p.code, 0, p.stderr);
  const predicted = new Map(table(p.stdout).map((x) => [x.id!, Number(x[task])]));
  for (const x of rows) {
    assert.ok(Math.abs(predicted.get(`${x.id}_${x.alt}_ref`)! - Number(x[`${task}_ref`])) <= 1e-6, `${x.id} ${x.alt}: ref equals predict`);
    assert.ok(Math.abs(predicted.get(`${x.id}_${x.alt}_alt`)! - Number(x[`${task}_alt`])) <= 1e-6, `${x.id} ${x.alt}: alt equals predict`);
  }

  // --format vcf: the same numbers in INFO, one per ALT; bcftools reads the header and the fields.
  const vcfOut = path.join(work, 'effects.vcf');
  const v = await runSweepCli(['variants', '--model', model.dir, '--vcf', vcf, '--genome', genome, '--format', 'vcf', '--out', vcfOut]);
  assert.equal(v.code, 0, v.stderr);
  const query = execFileSync('bcftools', ['query', '-f', `%ID\\t%ALT\\t%INFO/${task}_diff\\t%INFO/DP\\n`, vcfOut], { encoding: 'utf8' })
    .trimEnd()
    .split('\n');
  // bcftools prints floats with 6 significant digits.
  const close = (printed: string, ours: string) => Math.abs(Number(printed) - Number(ours)) <= 1e-5 * Math.abs(Number(ours)) + 1e-9;
  const multiLine = query.find((l) => l.startsWith('multi\t'))!.split('\t');
  assert.deepEqual([multiLine[1], multiLine[3]], [multi.alts.join(','), '4'], 'INFO kept');
  const multiDiffs = rows.filter((x) => x.id === 'multi').map((x) => x[`${task}_diff`]!);
  assert.ok(
    multiLine[2]!.split(',').every((d, i) => close(d, multiDiffs[i]!)),
    `one value per ALT: ${multiLine[2]} vs ${multiDiffs.join(',')}`,
  );
  for (const l of query) {
    const [id, alt, d] = l.split('\t');
    if (id !== 'multi') assert.ok(close(d!, rows.find((x) => x.id === id && x.alt === alt)![`${task}_diff`]!), `${id}: ${d}`);
  }
  // and exactly the TSV's text in our own output.
  const bad = readFileSync(vcfOut, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('chr1\t') && l.includes('\tbreak'))!;
  const id = bad.split('\t')[2]!;
  assert.match(bad, new RegExp(`;?${task}_diff=${rows.find((x) => x.id === id)![`${task}_diff`]!.replace('.', '\\.')}(;|$)`));

  // The same VCF bgzipped.
  execFileSync('bgzip', ['-k', '-f', vcf]);
  const gz = await runSweepCli(['variants', '--model', model.dir, '--vcf', `${vcf}.gz`, '--genome', genome]);
  assert.equal(gz.code, 0, gz.stderr);
  assert.equal(gz.stdout, readFileSync(out, 'utf8'));
});

test('a REF that differs from the genome: flagged by default, an error naming the variant and line with --strict', async () => {
  const wrong = chr1[499] === 'A' ? 'C' : 'A';
  const vcf = writeVcf(path.join(work, 'mismatch.vcf'), [`chr1\t200\tok\t${chr1[199]}\tN\t.\tPASS\t.`, `chr1\t500\tbad\t${wrong}\tG\t.\tPASS\t.`]);
  const flagged = await runSweepCli(['variants', '--model', model.dir, '--vcf', vcf, '--genome', genome]);
  assert.equal(flagged.code, 0, flagged.stderr);
  assert.deepEqual(
    table(flagged.stdout).map((x) => x.ref_match),
    ['1', '0'],
  );
  const out = path.join(work, 'strict-out', 'never.tsv');
  execFileSync('mkdir', ['-p', path.dirname(out)]);
  const strict = await runSweepCli(['variants', '--model', model.dir, '--vcf', vcf, '--genome', genome, '--strict', '--out', out]);
  assert.equal(strict.code, 2);
  assert.match(strict.stderr, /mismatch\.vcf line 7: variant chr1:500 has REF '[AC]' but the genome .*genome\.fa has '[ACGT]' there \(--strict\)/);
  assert.deepEqual(readdirSync(path.dirname(out)), [], 'nothing written, no temp file left');
});

test('bad input exits 2 naming the file and line, and writes nothing: chr-prefix mismatch, unknown chromosome, malformed line; a genome without index gets one', async () => {
  const dir = path.join(work, 'bad-out');
  execFileSync('mkdir', ['-p', dir]);
  const out = path.join(dir, 'never.tsv');
  const good = `chr1\t200\tok\t${chr1[199]}\tN\t.\tPASS\t.`;
  const cases: [string, string[], RegExp][] = [
    [
      'noprefix.vcf',
      [good, `1\t300\tx\tA\tC\t.\tPASS\t.`],
      /noprefix\.vcf line 7: chromosome '1' is not in the genome .*, which names it 'chr1': the VCF has no 'chr' prefix and the genome has\..*bcftools annotate --rename-chrs/,
    ],
    ['unknown.vcf', [good, `chrX\t300\tx\tA\tC\t.\tPASS\t.`], /unknown\.vcf line 7: chromosome 'chrX' is not in the genome .* \(its 2 sequences: chr1, chr2\)/],
    ['malformed.vcf', [good, `chr1\t300\tx\tA`], /malformed\.vcf line 7: expected at least 8 tab-separated columns/],
  ];
  for (const [name, rows, message] of cases) {
    const r = await runSweepCli(['variants', '--model', model.dir, '--vcf', writeVcf(path.join(work, name), rows), '--genome', genome, '--out', out]);
    assert.equal(r.code, 2, `${name}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.deepEqual(readdirSync(dir), [], `${name}: nothing written`);
  }
  const bare = path.join(work, 'bare.fa');
  writeFileSync(bare, '>chr1\nACGT\n');
  const r = await runSweepCli(['variants', '--model', model.dir, '--vcf', path.join(work, 'unknown.vcf'), '--genome', bare, '--out', out]);
  // A FASTA without its .fai in a writable folder gets one (as samtools faidx builds it); a read-only
  // folder is an error saying how to build it (test/unit/genome-dataset.test.ts).
  assert.equal(r.code, 2);
  assert.ok(existsSync(`${bare}.fai`), 'the index was built beside the FASTA');
  assert.match(r.stderr, /unknown\.vcf line 7: chromosome 'chrX' is not in the genome .*bare\.fa \(its 1 sequences: chr1\)/);
  assert.ok(!existsSync(out));
});

test('sweep ism on the site: the largest losses fall inside it; sweep report --ism draws it', async () => {
  const siteLength = jasparMotifs()[MOTIF]!.pfm.length;
  const region = `chr1:${SITE - 9}-${SITE + siteLength + 10}`;
  const out = path.join(work, 'ism.tsv');
  const r = await runSweepCli(['ism', '--model', model.dir, '--genome', genome, '--region', region, '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const rows = table(readFileSync(out, 'utf8'));
  assert.equal(rows.length, 3 * (siteLength + 20), 'three changes per position of the region');
  assert.ok(
    rows.every((x) => x.id === region && chr1[Number(x.pos) - 1] === x.ref),
    'positions are genome coordinates, ref bases the genome',
  );
  const worst = [...rows].sort((a, b) => Number(a[`${task}_diff`]) - Number(b[`${task}_diff`])).slice(0, 5);
  for (const x of worst) assert.ok(Number(x.pos) > SITE && Number(x.pos) <= SITE + siteLength, `a top loss at ${x.pos} ${x.ref}>${x.alt} is inside the site`);
  const html = path.join(work, 'ism.html');
  const rep = await runSweepCli(['report', '--ism', out, '--out', html]);
  assert.equal(rep.code, 0, rep.stderr);
  const page = readFileSync(html, 'utf8');
  assert.match(page, /<svg[^>]*class="heatmap"/);
  assert.match(page, /<svg[^>]*class="logo"/);
  assert.match(page, new RegExp(`most important stretch, positions (\\d+)-(\\d+)`));
});
