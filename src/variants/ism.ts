/**
 * In silico saturation mutagenesis: every position of a window changed to each other base, one
 * window per change, all scored with the unchanged window by the same scorer as `sweep predict`.
 * Output rows: `id pos ref alt`, then per task T: T_diff (alt - ref probability) and T_logodds
 * (logit(alt) - logit(ref)). A position holding N (or another ambiguity code) gets all four bases.
 */
import { UserError } from '../errors.js';
import { codeBases, invalidBaseError } from '../data/sequence.js';
import type { ReferenceGenome } from '../genome/reference.js';
import type { WindowScorer } from '../predict/predict.js';
import { formatDiff, formatLogOdds } from './effects.js';

const LETTERS = 'ACGTN-';

export interface IsmTarget {
  id: string;
  /** The window's seqLen base codes. */
  codes: Uint8Array;
  /** Window positions mutated: [from, to). */
  from: number;
  to: number;
  /** The reported position of window position i (1-based). */
  position(i: number): number;
}

/** The (position, alternative base) pairs of a window, in output order: by position, then A, C, G, T. */
export function mutations(codes: Uint8Array, from: number, to: number): { index: number; base: number }[] {
  const out: { index: number; base: number }[] = [];
  for (let i = from; i < to; i++) {
    for (let b = 0; b < 4; b++) if (b !== codes[i]) out.push({ index: i, base: b });
  }
  return out;
}

export function ismHeader(taskNames: readonly string[]): string {
  return ['id', 'pos', 'ref', 'alt', ...taskNames.flatMap((t) => [`${t}_diff`, `${t}_logodds`])].join('\t') + '\n';
}

/** Scores every mutation of one window; returns its rows. The scorer must have nothing pending. */
export function mutagenesis(scorer: WindowScorer, target: IsmTarget): string {
  const tasks = scorer.model.variant.tasks;
  scorer.next().set(target.codes);
  const changes = mutations(target.codes, target.from, target.to);
  for (const { index, base } of changes) {
    const w = scorer.next();
    w.set(target.codes);
    w[index] = base;
  }
  const scores = scorer.score();
  let text = '';
  changes.forEach(({ index, base }, k) => {
    text += `${target.id}\t${target.position(index)}\t${LETTERS[target.codes[index]!]}\t${LETTERS[base]}`;
    const alt = (k + 1) * tasks;
    for (let t = 0; t < tasks; t++) text += `\t${formatDiff(scores[t]!, scores[alt + t]!)}\t${formatLogOdds(scores[t]!, scores[alt + t]!)}`;
    text += '\n';
  });
  return text;
}

export interface Region {
  chrom: string;
  /** 1-based, inclusive, as samtools writes regions. */
  start: number;
  end: number;
}

export function parseRegion(text: string): Region {
  const m = /^(.+):([\d,]+)-([\d,]+)$/.exec(text);
  const start = m ? Number(m[2]!.replace(/,/g, '')) : NaN;
  const end = m ? Number(m[3]!.replace(/,/g, '')) : NaN;
  if (!m || !(start >= 1 && end >= start)) throw new UserError(`--region: expected chrom:start-end (1-based, inclusive, start <= end, e.g. chr1:1000-1050), got '${text}'`);
  return { chrom: m[1]!, start, end };
}

/**
 * A genome region as an ISM target: the window of seqLen centred on the region (genome context on
 * both sides), only the region's positions mutated, positions reported in genome coordinates.
 */
export async function regionTarget(genome: ReferenceGenome, region: Region, seqLen: number): Promise<IsmTarget> {
  const name = `${region.chrom}:${region.start}-${region.end}`;
  const length = region.end - region.start + 1;
  if (length > seqLen) throw new UserError(`--region ${name}: ${length} bp is longer than the model's window (${seqLen} bp); mutate at most ${seqLen} bp at a time.`);
  const chromLength = genome.chromosomes.get(region.chrom);
  if (chromLength === undefined) throw new UserError(`--region ${name}: the genome ${genome.path} has no chromosome '${region.chrom}'.`);
  const left = Math.floor((seqLen - length) / 2);
  const windowStart = region.start - 1 - left;
  if (windowStart < 0 || windowStart + seqLen > chromLength) {
    throw new UserError(`--region ${name}: its ${seqLen} bp window (${region.chrom}:${windowStart + 1}-${windowStart + seqLen}) runs past the chromosome (length ${chromLength}).`);
  }
  const bases = Buffer.from(await genome.fetch(region.chrom, windowStart, windowStart + seqLen), 'latin1');
  const codes = new Uint8Array(seqLen);
  const bad = codeBases(bases, 0, seqLen, codes, 0);
  if (bad >= 0) throw invalidBaseError(`genome ${genome.path} ${region.chrom}:${windowStart + 1}-${windowStart + seqLen}`, bad + 1, bases[bad]!);
  return { id: name, codes, from: left, to: left + length, position: (i) => windowStart + 1 + i };
}
