/**
 * Motif-to-motif comparison in the manner of Tomtom (Gupta et al., Genome Biology 2007), with
 * its Pearson column score: a query PFM is aligned to a target at every offset with at least
 * `minOverlap` columns overlapping, on both strands of the target; the alignment's score is the sum,
 * over overlapping columns, of the Pearson correlation of the two columns' probabilities; the
 * match's score is its best alignment. The p-value is empirical, and differs from Tomtom's: the
 * null is the same best-alignment score of `shuffles` column-permuted copies of the query (seeded,
 * so deterministic) against every target, pooled: p = (1 + #null >= score) / (1 + #null). The
 * E-value is p x the number of targets.
 */
import { Rng } from '../rng.js';

export interface Match {
  /** Index of the target in the list compared against. */
  target: number;
  score: number;
  pValue: number;
  eValue: number;
  /** '-': the target's reverse complement aligned best. */
  strand: '+' | '-';
  /** Target column aligned to the query's first column (negative: the query starts before the target). */
  offset: number;
  overlap: number;
}

export interface CompareOptions {
  /** Column-permuted copies of the query for the null (default 20). */
  shuffles?: number;
  seed?: number;
  /** Fewest overlapping columns of an alignment (default 5, as Tomtom; capped at the shorter motif). */
  minOverlap?: number;
}

/** The reverse complement: rows reversed, A<->T and C<->G swapped. */
export function reverseComplement(rows: readonly number[][]): number[][] {
  return rows.map((r) => [r[3]!, r[2]!, r[1]!, r[0]!]).reverse();
}

/** Columns centred and scaled, so a dot product of two of them is their Pearson correlation (0 for a constant column). */
function standardise(rows: readonly number[][]): Float64Array[] {
  return rows.map((r) => {
    const mean = (r[0]! + r[1]! + r[2]! + r[3]!) / 4;
    const centred = r.map((p) => p - mean);
    const norm = Math.sqrt(centred.reduce((s, d) => s + d * d, 0));
    return Float64Array.from(centred, (d) => (norm > 1e-12 ? d / norm : 0));
  });
}

interface PreparedTarget {
  strands: [Float64Array[], Float64Array[]];
}

function bestAlignment(query: Float64Array[], target: PreparedTarget, minOverlap: number): { score: number; strand: '+' | '-'; offset: number; overlap: number } {
  const wq = query.length;
  let best = { score: -Infinity, strand: '+' as '+' | '-', offset: 0, overlap: 0 };
  target.strands.forEach((cols, s) => {
    const wt = cols.length;
    const need = Math.min(minOverlap, wq, wt);
    for (let offset = need - wq; offset <= wt - need; offset++) {
      const from = Math.max(0, -offset);
      const to = Math.min(wq, wt - offset);
      let score = 0;
      for (let i = from; i < to; i++) {
        const a = query[i]!;
        const b = cols[i + offset]!;
        score += a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]! + a[3]! * b[3]!;
      }
      if (score > best.score) best = { score, strand: s === 0 ? '+' : '-', offset, overlap: to - from };
    }
  });
  return best;
}

/** Every target's match to `query`, best score first. */
export function compareToTargets(query: readonly number[][], targets: readonly (readonly number[][])[], options: CompareOptions = {}): Match[] {
  const shuffles = options.shuffles ?? 20;
  const minOverlap = options.minOverlap ?? 5;
  const prepared: PreparedTarget[] = targets.map((t) => ({ strands: [standardise(t), standardise(reverseComplement(t))] }));
  const q = standardise(query);
  const rng = new Rng(options.seed ?? 1);
  const nullScores: number[] = [];
  for (let s = 0; s < shuffles; s++) {
    const order = rng.permutation(q.length);
    const shuffled = Array.from(order, (i) => q[i]!);
    for (const t of prepared) nullScores.push(bestAlignment(shuffled, t, minOverlap).score);
  }
  nullScores.sort((a, b) => a - b);
  const atLeast = (score: number) => {
    // Count of null scores >= score, by binary search over the sorted scores.
    let lo = 0;
    let hi = nullScores.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (nullScores[mid]! < score - 1e-12) lo = mid + 1;
      else hi = mid;
    }
    return nullScores.length - lo;
  };
  return prepared
    .map((t, target) => {
      const best = bestAlignment(q, t, minOverlap);
      const pValue = (1 + atLeast(best.score)) / (1 + nullScores.length);
      return { target, ...best, pValue, eValue: pValue * targets.length };
    })
    .sort((a, b) => b.score - a.score || a.target - b.target);
}

/** Information content of a PFM row in bits (2 + sum p log2 p). */
export function rowInformation(row: readonly number[]): number {
  return 2 + row.reduce((h, p) => h + (p > 0 ? p * Math.log2(p) : 0), 0);
}

/**
 * The PFM without its uninformative flanks (rows under `minBits`), as motif tools trim filter
 * motifs before comparing: a filter is wider than its motif, and near-uniform columns only add
 * noise to a correlation. Returns the first kept row and the rows; never fewer than `minWidth` rows.
 */
export function trimFlanks(rows: readonly number[][], minBits = 0.3, minWidth = 4): { start: number; rows: number[][] } {
  let start = 0;
  let end = rows.length;
  while (end - start > minWidth && rowInformation(rows[start]!) < minBits) start++;
  while (end - start > minWidth && rowInformation(rows[end - 1]!) < minBits) end--;
  return { start, rows: rows.slice(start, end).map((r) => [...r]) };
}

/** The most likely base per row, lower case where it has under half the probability. */
export function consensus(rows: readonly number[][]): string {
  return rows
    .map((r) => {
      const i = r.indexOf(Math.max(...r));
      const letter = 'ACGT'[i]!;
      return r[i]! >= 0.5 ? letter : letter.toLowerCase();
    })
    .join('');
}
