/**
 * A seeded synthetic genome for genome-backed sweeps with a known answer: chromosomes of random
 * background (GC content varying by region, soft-masked stretches, an N gap), JASPAR motif
 * instances planted at known sites (one motif per task), per-task narrowPeak files with a peak at
 * each planted site, a blacklist, a spec ready for `sweep start`, and a VCF whose SNVs either
 * break a planted site (at the motif's most informative position) or lie far from every site.
 * Deterministic by seed: the same options give the same files, byte for byte.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeFileAtomically } from '../atomic-file.js';
import { UserError } from '../errors.js';
import { buildFastaIndex } from '../genome/reference.js';
import { Rng } from '../rng.js';
import { DEFAULT_MAX_N_FRACTION } from './genome-dataset.js';
import { DEFAULT_MOTIFS, checkSynthOptions, sampleInstance, synthTaskNames, type Motif } from './synth.js';

export interface SynthGenomeOptions {
  seed: number;
  chromosomes: number;
  /** Length of each chromosome in bp. */
  length: number;
  /** JASPAR CORE 2016 motif indices, one per task. */
  motifs: number[];
  /** Planted sites per task per megabase. */
  sitesPerMb: number;
  window: number;
  bin: number;
  /** Site-breaking SNVs in the VCF; as many neutral ones are added. */
  variants: number;
}

export const SYNTH_GENOME_DEFAULTS: SynthGenomeOptions = { seed: 1, chromosomes: 3, length: 2_000_000, motifs: DEFAULT_MOTIFS.slice(0, 2), sitesPerMb: 300, window: 200, bin: 100, variants: 100 };

export interface SynthGenomeResult {
  files: { genome: string; peaks: string[]; blacklist: string; vcf: string; spec: string };
  taskNames: string[];
  sites: number;
  variants: { break: number; neutral: number };
}

const LETTERS = 'ACGT';
/** Half the width of a peak around its site; the bin rule then labels about two bins per site. */
const PEAK_HALF_WIDTH = 75;
/** Sites of any task keep at least this distance, so windows rarely hold two sites. */
const SITE_SPACING = 300;
/** Neutral SNVs lie at least this far from every site. */
const NEUTRAL_DISTANCE = 500;
const GC_REGION = 10_000;
const LINE_WIDTH = 60;

/** Writes the dataset into `dir` (created when missing); every file is written whole or not at all. */
export async function writeSyntheticGenome(dir: string, opts: SynthGenomeOptions): Promise<SynthGenomeResult> {
  const motifs = checkOptions(opts);
  const taskNames = synthTaskNames(opts.motifs);
  const rng = new Rng(opts.seed);
  const names = Array.from({ length: opts.chromosomes }, (_, i) => `chr${i + 1}`);
  const sequences = names.map(() => background(opts.length, rng));
  const gaps = sequences.map((seq) => plantGap(seq, rng));
  const sites = sequences.map((seq, c) => plantSites(seq, motifs, opts, gaps[c]!, rng));
  const blacklist = names.map((name, c) => blacklistOf(name, opts.length, sites[c]!, rng)).join('');
  const held = { valid: names[opts.chromosomes - 2]!, test: names[opts.chromosomes - 1]! };
  const vcf = variantsOf(names, sequences, sites, motifs, taskNames, held.test, opts, rng);

  mkdirSync(dir, { recursive: true });
  const write = (name: string, content: string | Uint8Array) => {
    const file = path.join(dir, name);
    writeFileAtomically(file, [typeof content === 'string' ? Buffer.from(content, 'latin1') : content]);
    return file;
  };
  const genome = write('genome.fa', fastaOf(names, sequences));
  write('genome.fa.fai', await buildFastaIndex(genome));
  const peaks = taskNames.map((task, t) => write(`${task}.narrowPeak.gz`, gzipSync(narrowPeaks(names, sites, t, task, rng))));
  const spec = {
    name: `synth-genome-${opts.seed}`,
    dataset: {
      format: 'genome',
      genome: 'genome.fa',
      targets: taskNames.map((name) => ({ name, peaks: `${name}.narrowPeak.gz` })),
      window: opts.window,
      bin: opts.bin,
      split: { valid: [held.valid], test: [held.test] },
      negatives: { ratio: 1, seed: opts.seed, gcMatched: false },
      blacklist: 'blacklist.bed',
      maxNFraction: DEFAULT_MAX_N_FRACTION,
      reverseComplement: true,
    },
    model: { preset: 'danq-lite', seqLen: opts.window, tasks: taskNames.length, learningRate: 0.003 },
    space: { convFilters: [32, 64] },
    strategy: { type: 'grid' },
    training: { epochs: 6, batchSize: 64, seed: opts.seed },
    objective: { metric: 'val_auc', mode: 'max' },
    maxConcurrentTrials: 2,
  };
  return {
    files: {
      genome,
      peaks,
      blacklist: write('blacklist.bed', blacklist),
      vcf: write('variants.vcf', vcf.text),
      spec: write('spec.json', JSON.stringify(spec, null, 2) + '\n'),
    },
    taskNames,
    sites: sites.reduce((n, s) => n + s.length, 0),
    variants: vcf.counts,
  };
}

function checkOptions(opts: SynthGenomeOptions): Motif[] {
  if (opts.chromosomes < 3) throw new UserError(`--chromosomes: expected at least 3 (train, valid and test chromosomes), got ${opts.chromosomes}`);
  if (opts.bin > opts.window) throw new UserError(`--bin ${opts.bin} must be at most --window ${opts.window}: the window is centred on the bin`);
  const motifs = checkSynthOptions({ motifs: opts.motifs, samples: 1, seqLen: opts.window, seed: opts.seed, negatives: 'background' });
  const sites = Math.round((opts.sitesPerMb * opts.length) / 1e6);
  if (sites < 1) throw new UserError(`--length ${opts.length} and --sites-per-mb ${opts.sitesPerMb} leave no sites; use a longer genome or more sites`);
  if (opts.length < 20 * GC_REGION || sites * motifs.length * SITE_SPACING * 2 > opts.length) {
    throw new UserError(
      `--length ${opts.length} is too short for ${sites} sites of each of ${motifs.length} tasks ${SITE_SPACING} bp apart; use --length >= ${Math.max(20 * GC_REGION, sites * motifs.length * SITE_SPACING * 2)} or fewer --sites-per-mb`,
    );
  }
  return motifs;
}

/** Uniform random bases whose GC content changes every GC_REGION bp (0.35-0.6), about 5% of them soft-masked (lower case). */
function background(length: number, rng: Rng): Buffer {
  const seq = Buffer.alloc(length);
  let gc = 0.5;
  for (let i = 0; i < length; i++) {
    if (i % GC_REGION === 0) gc = rng.uniform(0.35, 0.6);
    const u = rng.next();
    seq[i] = (u < gc ? (u < gc / 2 ? 'C' : 'G') : u < gc + (1 - gc) / 2 ? 'A' : 'T').charCodeAt(0);
  }
  for (let k = 0; k < length / 2_000; k++) {
    const start = rng.int(0, length - 1);
    for (let i = start; i < Math.min(length, start + rng.int(20, 200)); i++) seq[i] = seq[i]! | 0x20;
  }
  return seq;
}

/** One run of N (an assembly gap) of 5-15 kb in the middle half; returns [start, end). */
function plantGap(seq: Buffer, rng: Rng): [number, number] {
  const size = rng.int(5_000, 15_000);
  const start = rng.int(seq.length >> 2, (3 * seq.length) >> 2);
  seq.fill('N', start, start + size);
  return [start, start + size];
}

interface Site {
  /** First base of the instance. */
  position: number;
  task: number;
  reverse: boolean;
}

/** Plants sitesPerMb instances of each task's motif (upper case), SITE_SPACING apart and clear of the gap and the ends. */
function plantSites(seq: Buffer, motifs: Motif[], opts: SynthGenomeOptions, gap: [number, number], rng: Rng): Site[] {
  const perTask = Math.round((opts.sitesPerMb * seq.length) / 1e6);
  const sites: Site[] = [];
  const taken = new Set<number>();
  const margin = opts.window + PEAK_HALF_WIDTH;
  for (let task = 0; task < motifs.length; task++) {
    for (let k = 0; k < perTask; k++) {
      for (;;) {
        const position = rng.int(margin, seq.length - margin);
        const slot = Math.floor(position / SITE_SPACING);
        if (taken.has(slot) || taken.has(slot - 1) || taken.has(slot + 1) || (position + margin > gap[0] && position - margin < gap[1])) continue;
        taken.add(slot);
        const reverse = rng.next() < 0.5;
        const instance = sampleInstance(motifs[task]!, rng, reverse);
        for (let p = 0; p < instance.length; p++) seq[position + p] = LETTERS.charCodeAt(instance[p]!);
        sites.push({ position, task, reverse });
        break;
      }
    }
  }
  return sites.sort((a, b) => a.position - b.position);
}

/** Three 2-5 kb regions per chromosome, one of them over a planted site (so the drop shows in the counts). */
function blacklistOf(name: string, length: number, sites: Site[], rng: Rng): string {
  const regions: [number, number][] = [];
  const around = sites[rng.int(0, sites.length - 1)]!.position - 1_000;
  regions.push([Math.max(0, around), Math.min(length, around + rng.int(2_000, 5_000))]);
  for (let k = 0; k < 2; k++) {
    const start = rng.int(0, length - 5_000);
    regions.push([start, start + rng.int(2_000, 5_000)]);
  }
  return regions
    .sort((a, b) => a[0] - b[0])
    .map(([s, e]) => `${name}\t${s}\t${e}\n`)
    .join('');
}

/** narrowPeak: a peak of about 2 x PEAK_HALF_WIDTH around each of the task's sites, summit at the site, sorted. */
function narrowPeaks(names: string[], sites: Site[][], task: number, taskName: string, rng: Rng): string {
  let out = '';
  let n = 0;
  names.forEach((name, c) => {
    for (const site of sites[c]!) {
      if (site.task !== task) continue;
      const start = site.position - PEAK_HALF_WIDTH + rng.int(-20, 20);
      const end = site.position + PEAK_HALF_WIDTH + rng.int(-20, 20);
      const signal = rng.uniform(5, 50);
      out += `${name}\t${start}\t${end}\t${taskName}_peak${++n}\t${Math.min(1000, Math.round(signal * 20))}\t.\t${signal.toFixed(3)}\t${(signal / 2).toFixed(3)}\t${(signal / 3).toFixed(3)}\t${site.position - start}\n`;
    }
  });
  return out;
}

function fastaOf(names: string[], sequences: Buffer[]): string {
  let out = '';
  names.forEach((name, c) => {
    const seq = sequences[c]!;
    out += `>${name}\n`;
    for (let i = 0; i < seq.length; i += LINE_WIDTH) out += seq.toString('latin1', i, Math.min(seq.length, i + LINE_WIDTH)) + '\n';
  });
  return out;
}

/**
 * On the test chromosome: `variants` SNVs that each break one planted site (at the motif's most
 * informative position, to its least likely base), and as many neutral SNVs at least
 * NEUTRAL_DISTANCE from every site and outside the gap. Sorted by position, REF as in the genome.
 */
function variantsOf(
  names: string[],
  sequences: Buffer[],
  sites: Site[][],
  motifs: Motif[],
  taskNames: string[],
  chrom: string,
  opts: SynthGenomeOptions,
  rng: Rng,
): { text: string; counts: { break: number; neutral: number } } {
  const c = names.indexOf(chrom);
  const seq = sequences[c]!;
  const records: { pos: number; ref: string; alt: string; info: string }[] = [];
  const order = rng.permutation(sites[c]!.length);
  const breaking = Math.min(opts.variants, order.length);
  for (let k = 0; k < breaking; k++) {
    const site = sites[c]![order[k]!]!;
    const pfm = motifs[site.task]!.pfm;
    const top = pfm.reduce((best, row, p) => (Math.max(...row) > Math.max(...pfm[best]!) ? p : best), 0);
    const pos = site.position + (site.reverse ? pfm.length - 1 - top : top);
    const ref = String.fromCharCode(seq[pos]!).toUpperCase();
    // In the motif's orientation: the least likely base other than the planted one.
    const planted = site.reverse ? 3 - LETTERS.indexOf(ref) : LETTERS.indexOf(ref);
    const row = pfm[top]!;
    const weakest = [0, 1, 2, 3].filter((b) => b !== planted).reduce((a, b) => (row[b]! < row[a]! ? b : a));
    records.push({ pos, ref, alt: LETTERS[site.reverse ? 3 - weakest : weakest]!, info: `EFFECT=break;TASK=${taskNames[site.task]}` });
  }
  const positions = sites[c]!.map((s) => s.position);
  let neutral = 0;
  for (let attempts = 0; neutral < breaking; attempts++) {
    if (attempts > 1_000 * breaking)
      throw new UserError(`${chrom} is too crowded with sites for ${breaking} neutral variants ${NEUTRAL_DISTANCE} bp from every site; use a longer --length or fewer --sites-per-mb`);
    const pos = rng.int(NEUTRAL_DISTANCE, seq.length - NEUTRAL_DISTANCE);
    const ref = String.fromCharCode(seq[pos]!).toUpperCase();
    if (ref === 'N' || positions.some((p) => Math.abs(p - pos) < NEUTRAL_DISTANCE) || records.some((r) => r.pos === pos)) continue;
    const alts = ['A', 'C', 'G', 'T'].filter((b) => b !== ref);
    records.push({ pos, ref, alt: alts[rng.int(0, 2)]!, info: 'EFFECT=neutral' });
    neutral++;
  }
  records.sort((a, b) => a.pos - b.pos);
  const header = [
    '##fileformat=VCFv4.2',
    `##source=danq-sweep synth-genome (seed ${opts.seed})`,
    '##reference=genome.fa',
    ...names.map((name) => `##contig=<ID=${name},length=${opts.length}>`),
    '##INFO=<ID=EFFECT,Number=1,Type=String,Description="break: the SNV breaks a planted motif site at its most informative position; neutral: at least 500 bp from every site">',
    '##INFO=<ID=TASK,Number=1,Type=String,Description="The task whose planted site the SNV breaks">',
    '#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO',
  ];
  const body = records.map((r, i) => `${chrom}\t${r.pos + 1}\tsnv${i + 1}\t${r.ref}\t${r.alt}\t.\tPASS\t${r.info}`);
  return { text: [...header, ...body].join('\n') + '\n', counts: { break: breaking, neutral } };
}
