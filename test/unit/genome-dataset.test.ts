// Genome-backed datasets checked against the field's own tools: windows against `bedtools getfasta`,
// labels against `bedtools merge` + `bedtools intersect -f 0.5`, drops against `bedtools intersect -v`
// and `bedtools nuc`; and through the real CLI, bad input exits 2 naming the file and line, writing nothing.
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { openSplit, prepareDataset, type DatasetManifest, type DatasetSpec } from '../../src/data/index.js';
import { SYNTH_GENOME_DEFAULTS, writeSyntheticGenome } from '../../src/data/synth-genome.js';
import { runSweepCli } from '../support/cli.js';
import { tool, writeTwoBit } from '../support/genome-tools.js';
import { rejectsWith, tempDir } from './data-helpers.js';

const SPLITS = ['train', 'valid', 'test'] as const;
const dir = tempDir();
let spec: { dataset: DatasetSpec & { window: number; bin: number; targets: { name: string; peaks: string }[] } } & Record<string, unknown>;
/** split -> the `sweep data windows` FASTA. */
const windows = new Map<string, string>();

before(async () => {
  await writeSyntheticGenome(dir, { ...SYNTH_GENOME_DEFAULTS, length: 300_000, seed: 4 });
  spec = JSON.parse(readFileSync(path.join(dir, 'spec.json'), 'utf8')) as typeof spec;
  for (const split of SPLITS) {
    const out = path.join(dir, `${split}.fa`);
    const r = await runSweepCli(['data', 'windows', path.join(dir, 'spec.json'), '--split', split, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`wrote \\d+ windows to .*${split}\\.fa\\n${split}: \\d+ windows; positive per task: motif250 \\d+, motif11 \\d+\\ndropped windows: `));
    windows.set(split, readFileSync(out, 'latin1'));
  }
});

interface Record_ {
  chrom: string;
  start: number;
  end: number;
  labels: number[];
  seq: string;
}

function records(fasta: string): Record_[] {
  const lines = fasta.trimEnd().split('\n');
  const out: Record_[] = [];
  for (let i = 0; i < lines.length; i += 2) {
    const m = /^>(\S+):(\d+)-(\d+) (.*)$/.exec(lines[i]!)!;
    out.push({ chrom: m[1]!, start: Number(m[2]), end: Number(m[3]), labels: m[4]!.split(' ').map((kv) => Number(kv.split('=')[1])), seq: lines[i + 1]! });
  }
  return out;
}

const bedOf = (rows: { chrom: string; start: number; end: number }[]) => rows.map((r) => `${r.chrom}\t${r.start}\t${r.end}\n`).join('');
const key = (r: { chrom: string; start: number }) => `${r.chrom}:${r.start}`;

test('windows are byte for byte what bedtools getfasta cuts for the same BED, case kept, named chrom:start-end', () => {
  for (const split of SPLITS) {
    const fasta = windows.get(split)!;
    const bed = path.join(dir, `${split}.bed`);
    writeFileSync(bed, bedOf(records(fasta)));
    const expected = tool('bedtools', ['getfasta', '-fi', path.join(dir, 'genome.fa'), '-bed', bed]);
    assert.equal(fasta.replace(/^(>\S+) .*$/gm, '$1'), expected, split);
    assert.ok(records(fasta).length > 100, `${split} has windows`);
  }
  assert.match(windows.get('train')!, /^[ACGTN]*[acgt]+[ACGTN]*$/m, 'soft-masked bases stay lower case');
});

test('labels equal bedtools merge + intersect -f 0.5 on the bins; every kept positive bin is there unless bedtools finds its window dropped', () => {
  const { window, bin } = spec.dataset;
  const offset = Math.floor((window - bin) / 2);
  const all = SPLITS.flatMap((split) => records(windows.get(split)!));
  const fai = path.join(dir, 'genome.fa.fai');
  writeFileSync(path.join(dir, 'genome.txt'), tool('cut', ['-f1,2', fai]));
  const binsBed = path.join(dir, 'bins.bed');
  writeFileSync(binsBed, bedOf(all.map((r) => ({ chrom: r.chrom, start: r.start + offset, end: r.start + offset + bin }))));
  const positiveAnywhere = new Set<string>();
  spec.dataset.targets.forEach((target, t) => {
    const sorted = path.join(dir, `${target.name}.sorted.bed`);
    writeFileSync(sorted, tool('sort', ['-k1,1', '-k2,2n'], { input: gunzipSync(readFileSync(path.join(dir, target.peaks))).toString() }));
    const merged = path.join(dir, `${target.name}.merged.bed`);
    writeFileSync(merged, tool('bedtools', ['merge', '-i', sorted]));
    const positive = new Set(
      tool('bedtools', ['intersect', '-a', binsBed, '-b', merged, '-f', '0.5', '-u'])
        .trimEnd()
        .split('\n')
        .map((line) => line.split('\t').slice(0, 2).join(':')),
    );
    for (const r of all) assert.equal(r.labels[t], positive.has(`${r.chrom}:${r.start + offset}`) ? 1 : 0, `${target.name} at bin ${r.chrom}:${r.start + offset}`);
    // Every bin of the genome positive by bedtools, with its window inside the chromosome, outside the blacklist and at most 10% N, is kept.
    const allBins = path.join(dir, 'all-bins.bed');
    writeFileSync(
      allBins,
      tool('bedtools', ['makewindows', '-g', path.join(dir, 'genome.txt'), '-w', String(bin)])
        .split('\n')
        .filter((l) => l && Number(l.split('\t')[2]) - Number(l.split('\t')[1]) === bin)
        .join('\n') + '\n',
    );
    for (const line of tool('bedtools', ['intersect', '-a', allBins, '-b', merged, '-f', '0.5', '-u']).trimEnd().split('\n')) {
      const [chrom, start] = line.split('\t');
      positiveAnywhere.add(`${chrom}:${Number(start) - offset}`);
    }
  });
  const lengths = new Map(
    readFileSync(fai, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => [l.split('\t')[0]!, Number(l.split('\t')[1])]),
  );
  const inside = [...positiveAnywhere].map((k) => ({ chrom: k.split(':')[0]!, start: Number(k.split(':')[1]) })).filter((w) => w.start >= 0 && w.start + window <= lengths.get(w.chrom)!);
  const windowsBed = path.join(dir, 'positive-windows.bed');
  writeFileSync(windowsBed, bedOf(inside.map((w) => ({ ...w, end: w.start + window }))));
  const clean = tool('bedtools', ['intersect', '-v', '-a', windowsBed, '-b', path.join(dir, 'blacklist.bed')]);
  const cleanBed = path.join(dir, 'clean.bed');
  writeFileSync(cleanBed, clean);
  const expectedKept = tool('bedtools', ['nuc', '-fi', path.join(dir, 'genome.fa'), '-bed', cleanBed])
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t'))
    // Columns: chrom start end pct_at pct_gc A C G T N other length.
    .filter((f) => Number(f[9]) <= 0.1 * window)
    .map((f) => `${f[0]}:${f[1]}`);
  const keptPositive = all.filter((r) => r.labels.some((l) => l === 1)).map(key);
  assert.deepEqual(new Set(keptPositive), new Set(expectedKept));
  assert.ok(expectedKept.length < positiveAnywhere.size, 'the blacklist drops some positive windows');
});

test('negatives: all-zero labels, ratio x positives per chromosome, seeded; the encoded cache holds the same windows, shuffled only by split', async () => {
  const all = SPLITS.flatMap((split) => records(windows.get(split)!));
  for (const chrom of new Set(all.map((r) => r.chrom))) {
    const here = all.filter((r) => r.chrom === chrom);
    const positives = here.filter((r) => r.labels.some((l) => l === 1)).length;
    assert.equal(here.length - positives, positives, `${chrom}: ratio 1`);
  }
  const manifest = await prepareDataset(spec.dataset, { seqLen: spec.dataset.window, baseDir: dir, cacheDir: path.join(dir, 'cache') });
  assert.deepEqual(manifest.taskNames, ['motif250', 'motif11']);
  for (const split of SPLITS) {
    const expected = records(windows.get(split)!).map((r) => `${r.seq.toUpperCase()} ${r.labels.join('')}`);
    assert.deepEqual(decoded(manifest, split), expected, split);
  }
  const again = await prepareDataset(spec.dataset, { seqLen: spec.dataset.window, baseDir: dir, cacheDir: path.join(dir, 'cache2') });
  assert.equal(again.fingerprint, manifest.fingerprint, 'same inputs, same fingerprint');
  const reseeded = await prepareDataset({ ...spec.dataset, negatives: { ratio: 1, seed: 99 } }, { seqLen: spec.dataset.window, baseDir: dir, cacheDir: path.join(dir, 'cache') });
  assert.notEqual(reseeded.fingerprint, manifest.fingerprint);
  assert.notDeepEqual(decoded(reseeded, 'valid'), decoded(manifest, 'valid'));
});

function decoded(m: DatasetManifest, split: 'train' | 'valid' | 'test'): string[] {
  const file = m.splits[split]!;
  const s = openSplit(file, m);
  const n = m.taskNames.length;
  const x = new Float32Array(file.count * m.seqLen * 4);
  const y = new Float32Array(file.count * n);
  s.readBatch(
    Array.from({ length: file.count }, (_, i) => i),
    x,
    y,
  );
  s.close();
  return Array.from({ length: file.count }, (_, i) => {
    let seq = '';
    for (let p = 0; p < m.seqLen; p++) {
      const o = (i * m.seqLen + p) * 4;
      seq += x[o] === 0.25 ? 'N' : ('ACGT'[[x[o], x[o + 1], x[o + 2], x[o + 3]].indexOf(1)] ?? '?');
    }
    return `${seq} ${Array.from(y.subarray(i * n, (i + 1) * n)).join('')}`;
  });
}

test("GC-matched negatives follow the positives' GC content more closely than uniform ones", async () => {
  const gcOf = (fasta: string, positive: boolean) => {
    const rows = records(fasta).filter((r) => r.labels.some((l) => l === 1) === positive);
    return rows.reduce((s, r) => s + (r.seq.match(/[GCgc]/g)?.length ?? 0) / r.seq.length, 0) / rows.length;
  };
  const matchedSpec = path.join(dir, 'gc.json');
  writeFileSync(matchedSpec, JSON.stringify({ ...spec, dataset: { ...spec.dataset, negatives: { ratio: 1, seed: 4, gcMatched: true } } }));
  const out = path.join(dir, 'gc-train.fa');
  const r = await runSweepCli(['data', 'windows', matchedSpec, '--split', 'train', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  const uniform = windows.get('train')!;
  const matched = readFileSync(out, 'latin1');
  assert.equal(gcOf(matched, true), gcOf(uniform, true), 'the same positives');
  const gap = (fasta: string) => Math.abs(gcOf(fasta, true) - gcOf(fasta, false));
  assert.ok(gap(matched) < gap(uniform) / 2, `GC gap ${gap(matched)} matched vs ${gap(uniform)} uniform`);
});

test('a .2bit and a bgzipped FASTA of the genome give the same windows as the plain FASTA', async () => {
  const fasta = readFileSync(path.join(dir, 'genome.fa'), 'latin1');
  const chromosomes = new Map(
    fasta
      .split('>')
      .slice(1)
      .map((rec) => [rec.slice(0, rec.indexOf('\n')), rec.slice(rec.indexOf('\n') + 1).replace(/\n/g, '')] as [string, string]),
  );
  writeTwoBit(path.join(dir, 'genome.2bit'), chromosomes);
  copyFileSync(path.join(dir, 'genome.fa'), path.join(dir, 'bgz.fa'));
  tool('bgzip', ['-f', path.join(dir, 'bgz.fa')]);
  tool('samtools', ['faidx', path.join(dir, 'bgz.fa.gz')]);
  for (const genome of ['genome.2bit', 'bgz.fa.gz']) {
    const file = path.join(dir, `${genome}.json`);
    writeFileSync(file, JSON.stringify({ ...spec, dataset: { ...spec.dataset, genome } }));
    const out = path.join(dir, `${genome}.valid.fa`);
    const r = await runSweepCli(['data', 'windows', file, '--split', 'valid', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(out, 'latin1'), windows.get('valid'), genome);
  }
});

/** Runs the CLI and checks exit 2, the message, and that --out (when given) was not written. */
async function failsCleanly(args: string[], patterns: RegExp[], options: { out?: string; cwd?: string; asNobody?: boolean } = {}): Promise<void> {
  const [command, ...rest] = options.asNobody
    ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', path.resolve('bin/sweep.js'), ...args]
    : [undefined, ...args];
  const r = command ? await runTool(command, rest) : await runSweepCli(args, options.cwd ? { cwd: options.cwd } : {});
  assert.equal(r.code, 2, `exit 2 expected: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  for (const p of patterns) assert.match(r.stderr, p);
  if (options.out) {
    assert.ok(!existsSync(options.out), `${options.out} must not be written`);
    assert.deepEqual(
      readdirSync(path.dirname(options.out)).filter((f) => f.includes('.tmp-')),
      [],
      'no temp files left',
    );
  }
}

async function runTool(command: string, args: string[]): Promise<{ code: number; stderr: string }> {
  const { execFile } = await import('node:child_process');
  // The unprivileged user's tsx cache goes to a folder it may write.
  const env = { ...process.env, TMPDIR: tempDir() };
  chmodSync(env.TMPDIR, 0o777);
  return new Promise((resolve) => execFile(command, args, { env }, (err, _stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stderr })));
}

function variantSpec(name: string, dataset: Record<string, unknown>, files: Record<string, string | Uint8Array> = {}): string {
  const variant = tempDir();
  for (const f of ['genome.fa', 'genome.fa.fai', 'blacklist.bed', ...spec.dataset.targets.map((t) => t.peaks)]) copyFileSync(path.join(dir, f), path.join(variant, f));
  for (const [f, content] of Object.entries(files)) writeFileSync(path.join(variant, f), content);
  const file = path.join(variant, `${name}.json`);
  writeFileSync(file, JSON.stringify({ ...spec, dataset: { ...spec.dataset, ...dataset } }));
  return file;
}

test('a peak with end < start, a non-numeric coordinate or an unknown chromosome: exit 2 naming the file and line, nothing written', async () => {
  const peaks = (line: string) => gzipSync(`chr1\t100\t300\tp1\t0\t.\t1\t1\t1\t50\n${line}\n`);
  const cases: [string, RegExp[]][] = [
    ['chr1\t500\t400\tp2\t0\t.\t1\t1\t1\t50', [/bad\.narrowPeak\.gz line 2: end 400 is before start 500/]],
    ['chr1\t5x0\t600\tp2', [/bad\.narrowPeak\.gz line 2: start '5x0' is not a non-negative integer/]],
    ['1\t500\t600\tp2', [/bad\.narrowPeak\.gz line 2: unknown chromosome '1'/, /'chr1'/, /'chr' prefix/]],
    ['chrUn\t500\t600\tp2', [/bad\.narrowPeak\.gz line 2: unknown chromosome 'chrUn': .*genome\.fa has chr1, chr2, chr3/]],
  ];
  for (const [line, patterns] of cases) {
    const file = variantSpec('spec', { targets: [{ name: 'motif250', peaks: 'bad.narrowPeak.gz' }, spec.dataset.targets[1]] }, { 'bad.narrowPeak.gz': peaks(line) });
    const out = path.join(path.dirname(file), 'out.fa');
    await failsCleanly(['data', 'windows', file, '--split', 'valid', '--out', out], patterns, { out });
    await failsCleanly(['validate', file], patterns);
  }
});

test('a window larger than every chromosome of a split: exit 2 saying which split and why', async () => {
  const withoutChr3 = (file: string) =>
    gzipSync(
      gunzipSync(readFileSync(path.join(dir, file)))
        .toString()
        .replace(/^chr3\t.*\n/gm, ''),
    );
  const file = variantSpec(
    'spec',
    {},
    {
      'genome.fa': readFileSync(path.join(dir, 'genome.fa'), 'latin1').replace(/>chr3\n[^>]*$/, `>chr3\n${'ACGT'.repeat(40)}\n`),
      'blacklist.bed': readFileSync(path.join(dir, 'blacklist.bed'), 'latin1').replace(/^chr3\t.*\n/gm, ''),
      ...Object.fromEntries(spec.dataset.targets.map((t) => [t.peaks, withoutChr3(t.peaks)])),
    },
  );
  rmSync(path.join(path.dirname(file), 'genome.fa.fai'));
  const out = path.join(path.dirname(file), 'test.fa');
  await failsCleanly(
    ['data', 'windows', file, '--split', 'test', '--out', out],
    [/dataset\.split\.test: the test split has no windows: every chromosome of it is shorter than the window \(200 bp\): chr3 \(160 bp\)/],
    { out },
  );
  await failsCleanly(['validate', file], [/dataset\.split\.test: the test split has no windows/]);
  assert.ok(existsSync(path.join(path.dirname(file), 'genome.fa.fai')), 'the missing .fai was built beside the genome');
});

test('a genome without .fai in a folder its user cannot write: exit 2 saying to run samtools faidx, nothing written', async () => {
  const file = variantSpec('spec', {});
  const folder = path.dirname(file);
  rmSync(path.join(folder, 'genome.fa.fai'));
  chmodSync(folder, 0o755);
  chmodSync(path.dirname(folder), 0o755);
  const out = path.join(tempDir(), 'out.fa');
  chmodSync(path.dirname(out), 0o777);
  await failsCleanly(
    ['data', 'windows', file, '--split', 'valid', '--out', out],
    [/genome\.fa: the genome has no index genome\.fa\.fai and its folder .* is not writable/, /samtools faidx .*genome\.fa/],
    { out, asNobody: true },
  );
  assert.ok(!existsSync(path.join(folder, 'genome.fa.fai')));
});

test('spec: model.seqLen must equal dataset.window; negatives take the shape of their format; genome keys only with format genome', async () => {
  const file = variantSpec('spec', {});
  writeFileSync(file, JSON.stringify({ ...spec, model: { ...(spec.model as object), seqLen: 300 } }));
  await failsCleanly(['validate', file], [/model\.seqLen: seqLen 300 differs from dataset\.window 200/]);
  const problems = async (dataset: Record<string, unknown>) => {
    writeFileSync(file, JSON.stringify({ ...spec, dataset }));
    const r = await runSweepCli(['validate', file]);
    assert.equal(r.code, 2);
    return r.stderr;
  };
  assert.match(await problems({ ...spec.dataset, negatives: 'shuffled' }), /dataset\.negatives: a genome-backed dataset takes an object \{"ratio", "seed", "gcMatched"\}, got 'shuffled'/);
  assert.match(await problems({ ...spec.dataset, negatives: { ratio: -1 } }), /dataset\.negatives\.ratio: must be a number >= 0, got -1/);
  assert.match(await problems({ ...spec.dataset, window: undefined, train: 'x.tsv' }), /dataset\.window: is required for a genome-backed dataset/);
  assert.match(await problems({ ...spec.dataset, window: undefined, train: 'x.tsv' }), /dataset\.train: a genome-backed dataset .* takes no 'train'/);
  assert.match(await problems({ ...spec.dataset, split: { valid: ['chr2'], test: ['chr2'] } }), /dataset\.split: chr2 is in both valid and test/);
  assert.match(await problems({ ...spec.dataset, split: { valid: ['2'] } }), /dataset\.split\.valid: unknown chromosome '2'.*'chr' prefix/);
  assert.match(
    await problems({ format: 'synthetic', negatives: { ratio: 1 } }),
    /dataset\.negatives: an object \{"ratio", "seed", "gcMatched"\} is for genome-backed datasets; a synthetic dataset takes 'background' or 'shuffled'/,
  );
  assert.match(await problems({ format: 'synthetic', window: 200 }), /dataset\.window: only a genome-backed dataset takes 'window' \(set "format": "genome"\)/);
  await rejectsWith(prepareDataset({ ...spec.dataset }, { seqLen: 100, baseDir: dir, cacheDir: path.join(dir, 'cache') }), /dataset\.window is 200 but model\.seqLen is 100/);
});
