// `sweep data synth-genome`: seeded, byte for byte; its VCF goes through bgzip + tabix and bcftools's
// REF check against the genome; site-breaking SNVs sit in a planted motif under a peak, neutral ones far from every peak.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { runSweepCli } from '../support/cli.js';
import { tool } from '../support/genome-tools.js';
import { tempDir } from './data-helpers.js';

const args = ['--length', '250000', '--seed', '5', '--variants', '20'];

test('the same options give the same files, byte for byte; another seed another genome', async () => {
  const [a, b, c] = [tempDir(), tempDir(), tempDir()];
  for (const [dir, seed] of [
    [a, '5'],
    [b, '5'],
    [c, '6'],
  ] as const) {
    const r = await runSweepCli(['data', 'synth-genome', '--out', dir, ...args.slice(0, 2), '--seed', seed, '--variants', '20']);
    assert.equal(r.code, 0, r.stderr);
  }
  const files = readdirSync(a).sort();
  assert.deepEqual(files, ['blacklist.bed', 'genome.fa', 'genome.fa.fai', 'motif11.narrowPeak.gz', 'motif250.narrowPeak.gz', 'spec.json', 'variants.vcf']);
  for (const f of files) assert.ok(readFileSync(path.join(a, f)).equals(readFileSync(path.join(b, f))), f);
  assert.ok(!readFileSync(path.join(a, 'genome.fa')).equals(readFileSync(path.join(c, 'genome.fa'))));
});

test('the VCF is sorted and well-formed (bgzip + tabix index it, bcftools finds every REF in the genome); break SNVs hit planted sites under peaks, neutral ones lie far from every peak', async () => {
  const dir = tempDir();
  const r = await runSweepCli(['data', 'synth-genome', '--out', dir, ...args, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const vcf = path.join(dir, 'variants.vcf');
  const text = readFileSync(vcf, 'utf8');
  assert.match(text, /^##fileformat=VCFv4\.2\n/);
  assert.match(text, /##contig=<ID=chr3,length=250000>/);
  assert.match(text, /##INFO=<ID=EFFECT,Number=1,Type=String,/);
  tool('bgzip', ['-k', vcf]);
  tool('tabix', ['-p', 'vcf', `${vcf}.gz`]);
  // -c e: stop with an error at the first REF that disagrees with the genome.
  const normalized = tool('bcftools', ['norm', '-c', 'e', '-f', path.join(dir, 'genome.fa'), `${vcf}.gz`]);
  const records = normalized.split('\n').filter((l) => l && !l.startsWith('#'));
  assert.equal(records.length, 40);
  const inRegion = tool('tabix', [`${vcf}.gz`, 'chr3:1-250000'])
    .trimEnd()
    .split('\n');
  assert.equal(inRegion.length, 40, 'tabix finds every record on the test chromosome');

  const peaks = new Map<string, [number, number][]>();
  for (const task of ['motif250', 'motif11']) {
    peaks.set(
      task,
      gunzipSync(readFileSync(path.join(dir, `${task}.narrowPeak.gz`)))
        .toString()
        .trimEnd()
        .split('\n')
        .map((l) => l.split('\t'))
        .filter((f) => f[0] === 'chr3')
        .map((f) => [Number(f[1]), Number(f[2])]),
    );
  }
  const genome = readFileSync(path.join(dir, 'genome.fa'), 'latin1');
  const chr3 = genome.slice(genome.indexOf('>chr3\n') + 6).replace(/\n/g, '');
  const counts = { break: 0, neutral: 0 };
  for (const line of inRegion) {
    const [chrom, pos, , ref, alt, , , info] = line.split('\t') as [string, string, string, string, string, string, string, string];
    assert.equal(chrom, 'chr3');
    assert.notEqual(ref, alt);
    const at = Number(pos) - 1;
    assert.equal(chr3[at]!.toUpperCase(), ref);
    const effect = /EFFECT=(\w+)/.exec(info)![1] as 'break' | 'neutral';
    counts[effect]++;
    if (effect === 'break') {
      const task = /TASK=(\w+)/.exec(info)![1]!;
      assert.ok(
        peaks.get(task)!.some(([s, e]) => s <= at && at < e),
        `${line}: inside a ${task} peak`,
      );
      assert.match(chr3[at]!, /^[ACGT]$/, 'planted sites are upper case');
    } else {
      for (const list of peaks.values())
        assert.ok(
          list.every(([s, e]) => at < s - 350 || at >= e + 350),
          `${line}: far from every peak`,
        );
    }
  }
  assert.deepEqual(counts, { break: 20, neutral: 20 });
});

test('bad options: exit 2 naming the option', async () => {
  const dir = tempDir();
  for (const [option, pattern] of [
    [['--chromosomes', '2'], /--chromosomes: expected at least 3/],
    [['--bin', '300'], /--bin 300 must be at most --window 200/],
    [['--length', 'x'], /--length: expected a positive integer, got 'x'/],
    [['--motifs', '9999'], /motifs: 9999 is not a JASPAR motif index/],
  ] as const) {
    const r = await runSweepCli(['data', 'synth-genome', '--out', path.join(dir, 'x'), ...option]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, pattern);
  }
  assert.deepEqual(readdirSync(dir), [], 'nothing written');
});
