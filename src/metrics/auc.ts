/**
 * Binary ranking metrics with scikit-learn's exact definitions:
 *
 * - ROC AUC = `sklearn.metrics.roc_auc_score`: the area under the ROC curve, which equals the
 *   probability that a random positive scores above a random negative, ties counting one half.
 * - PR AUC = `sklearn.metrics.average_precision_score`: sum over thresholds of
 *   (R_n - R_{n-1}) * P_n, every distinct score being one threshold (tied scores are one group).
 *
 * Both come out of one O(n log n) pass: split the scores by label, sort each half (radix sort on the
 * float bits, see sort.ts), then walk the two halves from the top score down, one group of
 * tied scores at a time.
 *
 * Pure TypeScript, no Node modules and no tfjs, so the functions run anywhere (workers, training
 * threads, browsers). A task with a single class has no defined AUC: the functions return `null`.
 */

import { Float64Sorter, sortUint32Range } from './sort.js';

/** Bad input to a metric: mismatched lengths, a NaN score, a label that is not 0 or 1. */
export class MetricsInputError extends Error {
  constructor(
    message: string,
    /** Which problem, for callers that react to one (training may treat 'nan-score' as divergence). */
    readonly code: 'nan-score' | 'bad-label' | 'shape',
  ) {
    super(message);
    this.name = 'MetricsInputError';
  }
}

export interface BinaryMetrics {
  /** `roc_auc_score`. */
  rocAuc: number;
  /** `average_precision_score`. */
  prAuc: number;
  positives: number;
  negatives: number;
}

/**
 * ROC AUC and average precision from scores already split by label and sorted ascending
 * (`pos`: scores of the positives, `neg`: scores of the negatives). Both must be non-empty and
 * NaN-free (any totally ordered numbers work: TaskMeasurer passes order-preserving integer keys).
 */
export function aucFromSorted(pos: ArrayLike<number>, neg: ArrayLike<number>): { rocAuc: number; prAuc: number } {
  const P = pos.length;
  const N = neg.length;
  let i = P - 1;
  let j = N - 1;
  let tp = 0;
  let fp = 0;
  // Twice the area under the step curve in units of (one negative) x (one positive): an integer,
  // exact in float64 up to 2^53, so ROC AUC is exact up to the final division.
  let area2 = 0;
  let apSum = 0;
  while (i >= 0 || j >= 0) {
    // The highest score not yet consumed: the next threshold.
    let v: number;
    if (i < 0) v = neg[j]!;
    else if (j < 0) v = pos[i]!;
    else v = pos[i]! >= neg[j]! ? pos[i]! : neg[j]!;
    let dtp = 0;
    while (i >= 0 && pos[i] === v) {
      i--;
      dtp++;
    }
    let dfp = 0;
    while (j >= 0 && neg[j] === v) {
      j--;
      dfp++;
    }
    // Negatives in this group rank below every positive above it and tie with this group's positives.
    area2 += dfp * (2 * tp + dtp);
    tp += dtp;
    fp += dfp;
    // Recall rises by dtp / P at this threshold, where precision is tp / (tp + fp).
    if (dtp > 0) apSum += dtp * (tp / (tp + fp));
  }
  return { rocAuc: area2 / (2 * P * N), prAuc: apSum / P };
}

function where(k: number, taskName: string | undefined): string {
  return `sample ${k}${taskName === undefined ? '' : ` of task '${taskName}'`}`;
}

function nanScore(k: number, taskName: string | undefined): MetricsInputError {
  return new MetricsInputError(`score is NaN at ${where(k, taskName)}`, 'nan-score');
}

function badLabel(l: unknown, k: number, taskName: string | undefined): MetricsInputError {
  return new MetricsInputError(`label must be 0 or 1, got ${String(l)} at ${where(k, taskName)}`, 'bad-label');
}

/**
 * Copies `scores[offset + k * stride]` for k in [0, n) into `buf`, positives at the front and
 * negatives at the back, checking labels and scores. Returns the number of positives.
 */
function splitByLabel64(labels: ArrayLike<number>, scores: ArrayLike<number>, n: number, offset: number, stride: number, buf: Float64Array, taskName: string | undefined): number {
  let p = 0;
  let q = n;
  for (let k = 0, idx = offset; k < n; k++, idx += stride) {
    const s = scores[idx]!;
    if (s !== s) throw nanScore(k, taskName);
    const l = labels[idx];
    // `+ 0` turns -0 into +0: one threshold with +0, as in scikit-learn, and what the radix sort needs.
    if (l === 1) buf[p++] = s + 0;
    else if (l === 0) buf[--q] = s + 0;
    else throw badLabel(l, k, taskName);
  }
  return p;
}

/** splitByLabel64 for float32 scores, writing each score's order-preserving 32-bit key. */
function splitByLabel32(labels: ArrayLike<number>, scores: Float32Array, n: number, offset: number, stride: number, f32: Float32Array, keys: Uint32Array, taskName: string | undefined): number {
  let p = 0;
  let q = n;
  for (let k = 0, idx = offset; k < n; k++, idx += stride) {
    const s = scores[idx]!;
    if (s !== s) throw nanScore(k, taskName);
    const l = labels[idx];
    let at: number;
    if (l === 1) at = p++;
    else if (l === 0) at = --q;
    else throw badLabel(l, k, taskName);
    f32[at] = s + 0;
    // The order-preserving key of the float32 bits (the transform described in sort.ts).
    const bits = keys[at]!;
    keys[at] = bits ^ ((bits >> 31) | 0x80000000);
  }
  return p;
}

export interface TaskResult {
  positives: number;
  negatives: number;
  /** `null` when the task has a single class. */
  rocAuc: number | null;
  prAuc: number | null;
}

/**
 * Measures tasks of `n` samples with buffers allocated once: training evaluates hundreds of tasks
 * per epoch. Float32Array scores are sorted as 32-bit keys (exact: every float32 has one), other
 * scores as float64.
 */
export class TaskMeasurer {
  private readonly f64: Float64Array;
  private readonly f64U: Uint32Array;
  private readonly sorter: Float64Sorter;
  private readonly keys: Uint32Array;
  private readonly keysF: Float32Array;
  private readonly tmp32: Uint32Array;

  constructor(readonly n: number) {
    this.f64 = new Float64Array(n);
    this.f64U = new Uint32Array(this.f64.buffer);
    this.sorter = new Float64Sorter(n);
    this.keys = new Uint32Array(n);
    this.keysF = new Float32Array(this.keys.buffer);
    this.tmp32 = new Uint32Array(n);
  }

  /** Task at `scores[offset + k * stride]`, `labels[offset + k * stride]` for k in [0, n). */
  measure(labels: ArrayLike<number>, scores: ArrayLike<number>, offset: number, stride: number, taskName?: string): TaskResult {
    const n = this.n;
    let p: number;
    let pos: ArrayLike<number>;
    let neg: ArrayLike<number>;
    if (scores instanceof Float32Array) {
      p = splitByLabel32(labels, scores, n, offset, stride, this.keysF, this.keys, taskName);
      if (p === 0 || p === n) return { positives: p, negatives: n - p, rocAuc: null, prAuc: null };
      sortUint32Range(this.keys, 0, p, this.tmp32);
      sortUint32Range(this.keys, p, n - p, this.tmp32);
      pos = this.keys.subarray(0, p);
      neg = this.keys.subarray(p, n);
    } else {
      p = splitByLabel64(labels, scores, n, offset, stride, this.f64, taskName);
      if (p === 0 || p === n) return { positives: p, negatives: n - p, rocAuc: null, prAuc: null };
      this.sorter.sortRange(this.f64, this.f64U, 0, p);
      this.sorter.sortRange(this.f64, this.f64U, p, n - p);
      pos = this.f64.subarray(0, p);
      neg = this.f64.subarray(p, n);
    }
    const { rocAuc, prAuc } = aucFromSorted(pos, neg);
    return { positives: p, negatives: n - p, rocAuc, prAuc };
  }
}

/**
 * ROC AUC, average precision and class counts of one task, or `null` when the task has a single
 * class (or no samples). Labels must be 0 or 1; a NaN score throws MetricsInputError
 * (±Infinity ranks as expected; -0 equals +0).
 */
export function binaryMetrics(labels: ArrayLike<number>, scores: ArrayLike<number>): BinaryMetrics | null {
  const n = labels.length;
  if (scores.length !== n) throw new MetricsInputError(`labels and scores differ in length: ${n} vs ${scores.length}`, 'shape');
  const r = new TaskMeasurer(n).measure(labels, scores, 0, 1);
  if (r.rocAuc === null || r.prAuc === null) return null;
  return { rocAuc: r.rocAuc, prAuc: r.prAuc, positives: r.positives, negatives: r.negatives };
}

/** `sklearn.metrics.roc_auc_score(labels, scores)`; `null` when only one class is present. */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number | null {
  return binaryMetrics(labels, scores)?.rocAuc ?? null;
}

/** `sklearn.metrics.average_precision_score(labels, scores)`; `null` when only one class is present. */
export function averagePrecision(labels: ArrayLike<number>, scores: ArrayLike<number>): number | null {
  return binaryMetrics(labels, scores)?.prAuc ?? null;
}
