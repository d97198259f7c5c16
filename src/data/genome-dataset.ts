/**
 * Genome-backed datasets: windows cut from a reference genome and labelled from per-task peak
 * files by DeepSEA's rule. The genome is cut into `bin`-bp bins; a bin is positive for a task when
 * at least half of it lies in one of the task's (merged) peaks; the input is the `window` centred
 * on the bin. Bins positive for some task are kept, plus negatives sampled at `ratio` x positives
 * per chromosome (seeded per chromosome, so any subset of chromosomes gives the same windows);
 * windows past a chromosome end, overlapping the blacklist or with more than maxNFraction N are
 * dropped and counted. One chromosome's sequence is in memory at a time; bins are typed arrays.
 */
import { hashString, Rng } from '../rng.js';
import { UserError } from '../errors.js';
import { openReferenceGenome, unknownChromosomeError, type ReferenceGenome } from '../genome/reference.js';
import type { DatasetSpec, GenomeNegatives } from './dataset-spec.js';
import { BASE_AMBIGUOUS, BASE_CODE_OF_BYTE, BASE_C, BASE_G, INVALID } from './encoding.js';
import { readIntervals, type IntervalFile, type MergedIntervals } from './intervals.js';
import { invalidBaseError } from './sequence.js';
import { sourceFile, type SourceFile } from './source.js';
import { SplitWriter, type DropCount, type GenomeSummary, type SplitName } from './store.js';

/** The spec's genome options with defaults filled in: everything besides the files that decides the windows. */
export interface GenomeWindowOptions {
  taskNames: string[];
  window: number;
  bin: number;
  split: { valid: string[]; test: string[] };
  negatives: Required<GenomeNegatives>;
  maxNFraction: number;
}

export interface GenomeInputs {
  genome: SourceFile;
  /** The file whose hash stands for the genome in the fingerprint: the .fai, or the .2bit itself. */
  genomeIdentity: SourceFile;
  peaks: SourceFile[];
  blacklist?: SourceFile;
  options: GenomeWindowOptions;
}

export interface GenomeStats extends GenomeSummary {
  counts: Partial<Record<SplitName, number>>;
}

/** Kept windows of one chromosome, in position order. */
export interface ChromosomeWindows {
  chrom: string;
  split: SplitName;
  /** The chromosome's bases as stored (case kept), one byte each. */
  bases: Uint8Array;
  window: number;
  starts: Int32Array;
  /** starts.length x numTasks, 0/1. */
  labels: Uint8Array;
}

export const DEFAULT_MAX_N_FRACTION = 0.1;
const FETCH_CHUNK = 4 << 20;

const POSITIVE = 1;
const BEYOND_ENDS = 2;
const BLACKLISTED = 4;
const TOO_MANY_N = 8;
const KEEP = 16;

export function resolveGenomeInputs(spec: DatasetSpec, baseDir: string): GenomeInputs {
  const genome = sourceFile(spec.genome!, baseDir);
  const negatives = (spec.negatives ?? {}) as GenomeNegatives;
  return {
    genome,
    // The .fai exists once the genome has been opened (built when missing); a .2bit carries its own index.
    genomeIdentity: /\.2bit$/i.test(genome.abs) ? genome : sourceFile(`${genome.abs}.fai`, baseDir),
    peaks: spec.targets!.map((t) => sourceFile(t.peaks, baseDir)),
    ...(spec.blacklist !== undefined ? { blacklist: sourceFile(spec.blacklist, baseDir) } : {}),
    options: {
      taskNames: spec.targets!.map((t) => t.name),
      window: spec.window!,
      bin: spec.bin!,
      split: { valid: spec.split!.valid, test: spec.split!.test ?? [] },
      negatives: { ratio: negatives.ratio ?? 1, seed: negatives.seed ?? 1, gcMatched: negatives.gcMatched ?? false },
      maxNFraction: spec.maxNFraction ?? DEFAULT_MAX_N_FRACTION,
    },
  };
}

export interface GenomeSources {
  reference: ReferenceGenome;
  targets: IntervalFile[];
  blacklist?: IntervalFile;
}

/** Opens the genome (building a missing .fai), reads every peak file and the blacklist, and checks the split's chromosome names. */
export async function openGenomeSources(inputs: GenomeInputs): Promise<GenomeSources> {
  const reference = await openReferenceGenome(inputs.genome.display);
  const { split } = inputs.options;
  for (const [name, list] of [
    ['valid', split.valid],
    ['test', split.test],
  ] as const) {
    for (const chrom of list) {
      if (!reference.chromosomes.has(chrom)) throw unknownChromosomeError(inputs.genome.display, chrom, reference.chromosomes, `dataset.split.${name}`);
    }
  }
  const targets: IntervalFile[] = [];
  for (const peaks of inputs.peaks) targets.push(await readIntervals(peaks, reference.chromosomes, inputs.genome.display));
  const blacklist = inputs.blacklist && (await readIntervals(inputs.blacklist, reference.chromosomes, inputs.genome.display));
  return { reference, targets, ...(blacklist ? { blacklist } : {}) };
}

export function splitOf(chrom: string, options: GenomeWindowOptions): SplitName {
  if (options.split.valid.includes(chrom)) return 'valid';
  if (options.split.test.includes(chrom)) return 'test';
  return 'train';
}

export function emptyStats(): GenomeStats {
  const zero = () => ({ windows: 0, positive: 0 });
  return { dropped: { beyondEnds: zero(), blacklist: zero(), tooManyN: zero() }, positives: {}, counts: {} };
}

/**
 * The kept windows of every chromosome in `splits`, chromosome by chromosome in the genome's order.
 * `stats` accumulates the drops, counts and positives. Throws a UserError when a requested split
 * ends up with no windows.
 */
export async function* genomeWindows(sources: GenomeSources, options: GenomeWindowOptions, splits: readonly SplitName[], stats: GenomeStats): AsyncGenerator<ChromosomeWindows> {
  const numTasks = options.taskNames.length;
  for (const split of splits) {
    stats.counts[split] ??= 0;
    stats.positives[split] ??= new Array<number>(numTasks).fill(0);
  }
  for (const [chrom, length] of sources.reference.chromosomes) {
    const split = splitOf(chrom, options);
    if (!splits.includes(split)) continue;
    const result = await chromosomeWindows(sources, options, chrom, length, stats);
    if (!result) continue;
    stats.counts[split]! += result.starts.length;
    const positives = stats.positives[split]!;
    for (let i = 0; i < result.labels.length; i++) positives[i % numTasks]! += result.labels[i]!;
    yield { chrom, split, ...result };
  }
  for (const split of splits) {
    if (stats.counts[split] === 0 && (split !== 'test' || options.split.test.length > 0)) throw emptySplitError(sources, options, split);
  }
}

async function chromosomeWindows(
  sources: GenomeSources,
  options: GenomeWindowOptions,
  chrom: string,
  length: number,
  stats: GenomeStats,
): Promise<{ bases: Uint8Array; window: number; starts: Int32Array; labels: Uint8Array } | undefined> {
  const { bin, window } = options;
  const nBins = Math.floor(length / bin);
  if (nBins === 0) return undefined;
  // Window start = bin start - offset: the window is centred on the bin (left-leaning by half a base when the difference is odd).
  const offset = Math.floor((window - bin) / 2);
  const flags = new Uint8Array(nBins);
  const taskBins = sources.targets.map((target) => positiveBins(target.byChromosome.get(chrom), bin, nBins, flags));

  const firstInside = Math.ceil(offset / bin);
  const lastInside = Math.floor((length - window + offset) / bin);
  for (let b = 0; b < nBins; b++) if (b < firstInside || b > lastInside) flags[b]! |= BEYOND_ENDS;
  const blacklist = sources.blacklist?.byChromosome.get(chrom);
  if (blacklist) markBlacklisted(blacklist, bin, offset, window, nBins, flags);
  if (firstInside > lastInside) {
    countDrops(flags, stats);
    return undefined;
  }

  const bases = await readChromosome(sources.reference, chrom, length);
  const gc = new Int32Array(nBins);
  markTooManyN(bases, options, offset, firstInside, Math.min(lastInside, nBins - 1), flags, gc);
  countDrops(flags, stats);

  let positives = 0;
  let candidates = 0;
  for (let b = 0; b < nBins; b++) {
    if (flags[b]! & (BEYOND_ENDS | BLACKLISTED | TOO_MANY_N)) continue;
    if (flags[b]! & POSITIVE) {
      flags[b]! |= KEEP;
      positives++;
    } else candidates++;
  }
  const rng = new Rng(options.negatives.seed ^ hashString(chrom));
  const wanted = Math.min(candidates, Math.round(options.negatives.ratio * positives));
  if (options.negatives.gcMatched) sampleGcMatched(flags, gc, window, wanted, rng);
  else sampleUniform(flags, candidates, wanted, rng);

  let kept = 0;
  for (let b = 0; b < nBins; b++) if (flags[b]! & KEEP) kept++;
  const starts = new Int32Array(kept);
  const labels = new Uint8Array(kept * taskBins.length);
  const next = new Int32Array(taskBins.length);
  for (let b = 0, i = 0; b < nBins; b++) {
    if (!(flags[b]! & KEEP)) continue;
    starts[i] = b * bin - offset;
    taskBins.forEach((bins, t) => {
      while (next[t]! < bins.length && bins[next[t]!]! < b) next[t]!++;
      if (bins[next[t]!] === b) labels[i * taskBins.length + t] = 1;
    });
    i++;
  }
  return { bases, window, starts, labels };
}

/** Bins at least half covered by one interval, ascending; marks them POSITIVE in flags. */
function positiveBins(intervals: MergedIntervals | undefined, bin: number, nBins: number, flags: Uint8Array): Int32Array {
  if (!intervals) return new Int32Array(0);
  const out: number[] = [];
  for (let k = 0; k < intervals.starts.length; k++) {
    const s = intervals.starts[k]!;
    const e = intervals.ends[k]!;
    if (e <= s) continue;
    for (let b = Math.floor(s / bin); b <= Math.floor((e - 1) / bin) && b < nBins; b++) {
      const overlap = Math.min(e, (b + 1) * bin) - Math.max(s, b * bin);
      if (2 * overlap >= bin && out[out.length - 1] !== b) {
        out.push(b);
        flags[b]! |= POSITIVE;
      }
    }
  }
  return Int32Array.from(out);
}

/** Bins whose window overlaps a blacklisted interval by at least one base. */
function markBlacklisted(intervals: MergedIntervals, bin: number, offset: number, window: number, nBins: number, flags: Uint8Array): void {
  for (let k = 0; k < intervals.starts.length; k++) {
    const s = intervals.starts[k]!;
    const e = intervals.ends[k]!;
    if (e <= s) continue;
    // Window [b*bin - offset, b*bin - offset + window) overlaps [s, e) when b*bin < e + offset and b*bin > s + offset - window.
    const from = Math.max(0, Math.floor((s + offset - window) / bin) + 1);
    const to = Math.min(nBins - 1, Math.ceil((e + offset) / bin) - 1);
    for (let b = from; b <= to; b++) flags[b]! |= BLACKLISTED;
  }
}

/** Per byte: 1 for N (any ambiguity code), and 1 for G or C (any case). */
const IS_N = BASE_CODE_OF_BYTE.map((code) => (code === BASE_AMBIGUOUS ? 1 : 0));
const IS_GC = BASE_CODE_OF_BYTE.map((code) => (code === BASE_C || code === BASE_G ? 1 : 0));

/** N and G+C counts of the windows of bins first..last, sliding bin by bin. */
function markTooManyN(bases: Uint8Array, options: GenomeWindowOptions, offset: number, first: number, last: number, flags: Uint8Array, gc: Int32Array): void {
  const { bin, window, maxNFraction } = options;
  const limit = maxNFraction * window;
  let n = 0;
  let gcCount = 0;
  for (let b = first; b <= last; b++) {
    const start = b * bin - offset;
    if (b === first) {
      for (let i = start; i < start + window; i++) {
        n += IS_N[bases[i]!]!;
        gcCount += IS_GC[bases[i]!]!;
      }
    } else {
      for (let i = start - bin, j = start + window - bin; i < start; i++, j++) {
        n += IS_N[bases[j]!]! - IS_N[bases[i]!]!;
        gcCount += IS_GC[bases[j]!]! - IS_GC[bases[i]!]!;
      }
    }
    gc[b] = gcCount;
    if (n > limit) flags[b]! |= TOO_MANY_N;
  }
}

/** Each dropped window once, under the first reason: past the ends, then blacklist, then N. */
function countDrops(flags: Uint8Array, stats: GenomeStats): void {
  const d = stats.dropped;
  for (const f of flags) {
    const count = f & BEYOND_ENDS ? d.beyondEnds : f & BLACKLISTED ? d.blacklist : f & TOO_MANY_N ? d.tooManyN : undefined;
    if (!count) continue;
    count.windows++;
    if (f & POSITIVE) count.positive++;
  }
}

const isCandidate = (f: number) => (f & (POSITIVE | BEYOND_ENDS | BLACKLISTED | TOO_MANY_N)) === 0;

/** `wanted` of the candidate bins, uniformly without replacement (a partial Fisher-Yates shuffle). */
function sampleUniform(flags: Uint8Array, candidates: number, wanted: number, rng: Rng): void {
  const pool = new Int32Array(candidates);
  for (let b = 0, i = 0; b < flags.length; b++) if (isCandidate(flags[b]!)) pool[i++] = b;
  for (let i = 0; i < wanted; i++) {
    const j = rng.int(i, candidates - 1);
    const t = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = t;
    flags[pool[i]!]! |= KEEP;
  }
}

/**
 * Negatives with the positives' GC content: positives and candidates are grouped by GC percent;
 * each positive group asks for its share of `wanted` from the candidates of the same percent,
 * then of the nearest percents when those run out.
 */
function sampleGcMatched(flags: Uint8Array, gc: Int32Array, window: number, wanted: number, rng: Rng): void {
  const percent = (b: number) => Math.round((100 * gc[b]!) / window);
  const groups: number[][] = Array.from({ length: 101 }, () => []);
  const positivesPer = new Float64Array(101);
  let positives = 0;
  for (let b = 0; b < flags.length; b++) {
    if (isCandidate(flags[b]!)) groups[percent(b)]!.push(b);
    else if (flags[b]! & KEEP) {
      positivesPer[percent(b)]!++;
      positives++;
    }
  }
  for (const group of groups) {
    for (let i = group.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [group[i], group[j]] = [group[j]!, group[i]!];
    }
  }
  let taken = 0;
  let owed = 0;
  for (let p = 0; p <= 100 && taken < wanted; p++) {
    owed += (positivesPer[p]! / positives) * wanted;
    let need = Math.min(wanted - taken, Math.round(owed) - taken);
    for (let d = 0; need > 0 && d <= 100; d++) {
      for (const q of d === 0 ? [p] : [p - d, p + d]) {
        const group = groups[q];
        while (group && group.length > 0 && need > 0) {
          flags[group.pop()!]! |= KEEP;
          need--;
          taken++;
        }
      }
    }
  }
}

/** The whole chromosome as stored, one byte per base, read in chunks; a byte that is not a DNA letter is a UserError. */
async function readChromosome(reference: ReferenceGenome, chrom: string, length: number): Promise<Uint8Array> {
  const bases = Buffer.allocUnsafe(length);
  for (let from = 0; from < length; from += FETCH_CHUNK) {
    const to = Math.min(length, from + FETCH_CHUNK);
    bases.write(await reference.fetch(chrom, from, to), from, 'latin1');
  }
  for (let i = 0; i < length; i++) {
    if (BASE_CODE_OF_BYTE[bases[i]!] === INVALID) throw invalidBaseError(`${reference.path}: ${chrom}`, i + 1, bases[i]!);
  }
  return bases;
}

function emptySplitError(sources: GenomeSources, options: GenomeWindowOptions, split: SplitName): UserError {
  const chromosomes = [...sources.reference.chromosomes].filter(([chrom]) => splitOf(chrom, options) === split);
  const short = chromosomes.filter(([, length]) => length < options.window).map(([chrom, length]) => `${chrom} (${length} bp)`);
  const why =
    short.length === chromosomes.length ? `every chromosome of it is shorter than the window (${options.window} bp): ${short.join(', ')}` : `none of its windows is positive for a task and kept`;
  const where = split === 'train' ? 'dataset.split (the chromosomes not named in valid or test train)' : `dataset.split.${split}`;
  return new UserError(`${where}: the ${split} split has no windows: ${why}. Choose other chromosomes for it, or a smaller dataset.window.`);
}

/** Writes every split's windows as encoded records (store.ts layout) into `out(split)`. */
export async function encodeGenomeDataset(
  sources: GenomeSources,
  options: GenomeWindowOptions,
  out: (split: SplitName) => string,
  onProgress?: (done: number, total: number) => void,
): Promise<GenomeStats> {
  const stats = emptyStats();
  const numTasks = options.taskNames.length;
  const splits: SplitName[] = options.split.test.length > 0 ? ['train', 'valid', 'test'] : ['train', 'valid'];
  const writers = new Map(splits.map((split) => [split, new SplitWriter(out(split), options.window, numTasks)]));
  const total = [...sources.reference.chromosomes.values()].reduce((a, b) => a + b, 0);
  let done = 0;
  try {
    for await (const chrom of genomeWindows(sources, options, splits, stats)) {
      const writer = writers.get(chrom.split)!;
      for (let i = 0; i < chrom.starts.length; i++) {
        const off = writer.begin();
        const start = chrom.starts[i]!;
        for (let p = 0; p < chrom.window; p++) writer.buf[off + p] = BASE_CODE_OF_BYTE[chrom.bases[start + p]!]!;
        writer.buf.set(chrom.labels.subarray(i * numTasks, (i + 1) * numTasks), off + chrom.window);
        writer.commit();
      }
      done += chrom.bases.length;
      onProgress?.(done, total);
    }
  } finally {
    for (const writer of writers.values()) writer.close();
  }
  return stats;
}

/** Human-readable lines: windows and positives per task in each split, and the drops per reason. */
export function describeGenomeStats(stats: GenomeStats, taskNames: readonly string[]): string[] {
  const lines = (['train', 'valid', 'test'] as const).flatMap((split) => {
    const positives = stats.positives[split];
    if (stats.counts[split] === undefined || !positives) return [];
    return [`${split}: ${stats.counts[split]} windows; positive per task: ${taskNames.map((name, t) => `${name} ${positives[t]}`).join(', ')}`];
  });
  const d = stats.dropped;
  const count = (c: DropCount, what: string) => `${c.windows} ${what} (${c.positive} of them positive)`;
  lines.push(`dropped windows: ${count(d.beyondEnds, 'past a chromosome end')}, ${count(d.blacklist, 'overlapping the blacklist')}, ${count(d.tooManyN, 'with too many N')}`);
  return lines;
}
