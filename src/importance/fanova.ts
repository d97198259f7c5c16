/**
 * fANOVA parameter importance as Optuna 5.1 computes it: optuna/importance/_fanova/_evaluator.py
 * (FanovaImportanceEvaluator: raw param values, categorical params one-hot with bounds [0, 1]),
 * optuna/importance/_fanova/_fanova.py (a random forest regressor, then each param's importance is
 * the mean over trees of its marginal variance over the tree's total variance) and
 * optuna/importance/_fanova/_tree.py (the marginals of one tree over its split cells).
 *
 * Optuna fits scikit-learn's RandomForestRegressor (64 trees, max_depth 64, min_samples_split 2,
 * min_samples_leaf 1, bootstrap, every feature at every split, squared error). The forest here
 * follows the same CART rules (bootstrap counts as sample weights, midpoint thresholds, a split
 * only between values more than 1e-7 apart, leaves below 2 distinct samples or with zero impurity)
 * but draws its bootstrap samples and feature orders from our own seeded Rng, not numpy's
 * Mersenne Twister, so its trees differ from scikit-learn's: the importances agree with Optuna's
 * within the tolerance stated in test/unit/importance.test.ts, not to the last digit.
 */
import { Rng } from '../rng.js';
import type { ImportanceInput, Importances, ParamSpace } from './types.js';

const N_TREES = 64;
const MAX_DEPTH = 64;
const MIN_SAMPLES_SPLIT = 2;
/** scikit-learn's FEATURE_THRESHOLD: values closer than this are not split between. */
const FEATURE_THRESHOLD = 1e-7;
const EPSILON = 2.220446049250313e-16;

/** Unnormalised importances in input order (see `paramImportances` for Optuna's normalisation). */
export function fanova(input: ImportanceInput, seed: number): Importances {
  const varying = input.space.filter((p) => (p.kind === 'choice' ? p.choices.length > 1 : p.low < p.high));
  const importances: Importances = Object.fromEntries(input.space.map((p) => [p.name, 0]));
  const trials = input.trials.filter((t) => Number.isFinite(t.value) && varying.every((p) => t.params[p.name] !== undefined));
  if (varying.length === 0 || trials.length <= 1) return importances;

  const encoding = encode(varying);
  const x = trials.map((t) => encoding.encode(t.params));
  const y = trials.map((t) => t.value);
  const rng = new Rng(seed);
  const trees = Array.from({ length: N_TREES }, () => new FanovaTree(fitTree(x, y, rng), encoding.bounds));
  // Optuna raises here (every trial's value equal); nothing explains a constant, so all stay 0.
  if (trees.every((t) => t.variance === 0)) return importances;
  varying.forEach((param, i) => {
    const fractions = trees.filter((t) => t.variance > 0).map((t) => Math.max(0, t.marginalVariance(encoding.columns[i]!)) / t.variance);
    importances[param.name] = fractions.reduce((a, b) => a + b, 0) / fractions.length;
  });
  return importances;
}

/** _SearchSpaceTransform(transform_log=False, transform_step=False): raw numbers, one-hot choices. */
function encode(space: readonly ParamSpace[]): { bounds: [number, number][]; columns: number[][]; encode: (params: ImportanceInput['trials'][number]['params']) => number[] } {
  const bounds: [number, number][] = [];
  const columns: number[][] = [];
  for (const p of space) {
    const width = p.kind === 'choice' ? p.choices.length : 1;
    columns.push(Array.from({ length: width }, (_, j) => bounds.length + j));
    for (let j = 0; j < width; j++) bounds.push(p.kind === 'choice' ? [0, 1] : [p.low, p.high]);
  }
  return {
    bounds,
    columns,
    encode: (params) =>
      space.flatMap((p) => {
        const value = params[p.name]!;
        if (p.kind !== 'choice') return [value as number];
        const index = p.choices.indexOf(value);
        if (index < 0) throw new Error(`param ${p.name}: ${String(value)} is not one of its choices`);
        return p.choices.map((_, j) => (j === index ? 1 : 0));
      }),
  };
}

// ---- the regression tree (scikit-learn's DepthFirstTreeBuilder with BestSplitter) ---------------

/** Nodes in depth-first preorder, as scikit-learn numbers them; feature -1 marks a leaf. */
interface Tree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

function fitTree(x: readonly number[][], y: readonly number[], rng: Rng): Tree {
  const n = x.length;
  const nFeatures = x[0]!.length;
  // Bootstrap: n draws with replacement, kept as per-sample counts (scikit-learn's sample weights).
  const weight = new Float64Array(n);
  for (let i = 0; i < n; i++) weight[rng.int(0, n - 1)]! += 1;
  const tree: Tree = { feature: [], threshold: [], left: [], right: [], value: [] };
  const build = (samples: number[], depth: number): number => {
    const id = tree.feature.length;
    let w = 0;
    let sum = 0;
    let sumSq = 0;
    for (const s of samples) {
      w += weight[s]!;
      sum += weight[s]! * y[s]!;
      sumSq += weight[s]! * y[s]! * y[s]!;
    }
    const impurity = sumSq / w - (sum / w) ** 2;
    tree.feature.push(-1);
    tree.threshold.push(-2);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push(sum / w);
    if (depth >= MAX_DEPTH || samples.length < MIN_SAMPLES_SPLIT || impurity <= EPSILON) return id;
    const split = bestSplit(samples, x, y, weight, nFeatures, rng);
    if (!split) return id;
    tree.feature[id] = split.feature;
    tree.threshold[id] = split.threshold;
    tree.left[id] = build(split.left, depth + 1);
    tree.right[id] = build(split.right, depth + 1);
    return id;
  };
  const inBag: number[] = [];
  for (let i = 0; i < n; i++) if (weight[i]! > 0) inBag.push(i);
  build(inBag, 0);
  return tree;
}

/** The split with the largest decrease in weighted squared error; features tried in a random order, the first best kept. */
function bestSplit(
  samples: readonly number[],
  x: readonly number[][],
  y: readonly number[],
  weight: Float64Array,
  nFeatures: number,
  rng: Rng,
): { feature: number; threshold: number; left: number[]; right: number[] } | undefined {
  let totalW = 0;
  let totalSum = 0;
  for (const s of samples) {
    totalW += weight[s]!;
    totalSum += weight[s]! * y[s]!;
  }
  let best: { proxy: number; feature: number; threshold: number; sorted: number[]; pos: number } | undefined;
  for (const f of rng.permutation(nFeatures)) {
    const sorted = [...samples].sort((a, b) => x[a]![f]! - x[b]![f]!);
    if (x[sorted[sorted.length - 1]!]![f]! <= x[sorted[0]!]![f]! + FEATURE_THRESHOLD) continue;
    let leftW = 0;
    let leftSum = 0;
    for (let p = 1; p < sorted.length; p++) {
      const prev = sorted[p - 1]!;
      leftW += weight[prev]!;
      leftSum += weight[prev]! * y[prev]!;
      const a = x[prev]![f]!;
      const b = x[sorted[p]!]![f]!;
      if (b <= a + FEATURE_THRESHOLD) continue;
      const rightW = totalW - leftW;
      const rightSum = totalSum - leftSum;
      // scikit-learn's proxy improvement for squared error: larger is better.
      const proxy = (leftSum * leftSum) / leftW + (rightSum * rightSum) / rightW;
      if (!best || proxy > best.proxy) {
        let threshold = a / 2 + b / 2;
        if (threshold === b || !Number.isFinite(threshold)) threshold = a;
        best = { proxy, feature: f, threshold, sorted, pos: p };
      }
    }
  }
  if (!best) return undefined;
  return { feature: best.feature, threshold: best.threshold, left: best.sorted.slice(0, best.pos), right: best.sorted.slice(best.pos) };
}

// ---- one tree's marginals (optuna/importance/_fanova/_tree.py) ---------------------------------

type Box = [number, number][];

function cardinality(box: Box): number {
  return box.reduce((p, [lo, hi]) => p * (hi - lo), 1);
}

function narrowed(box: Box, feature: number, side: 0 | 1, threshold: number): Box {
  const copy = box.map((b) => [...b] as [number, number]);
  copy[feature]![side] = threshold;
  return copy;
}

class FanovaTree {
  /** Per node: the value averaged over its cell, and the cell's volume. */
  private readonly statValue: Float64Array;
  private readonly statWeight: Float64Array;
  /** Per node: which features its subtree splits on. */
  private readonly subtreeFeatures: Uint8Array[];
  private readonly midpoints: number[][] = [];
  private readonly sizes: number[][] = [];
  readonly variance: number;

  constructor(
    private readonly tree: Tree,
    private readonly bounds: Box,
  ) {
    const n = tree.feature.length;
    const nFeatures = bounds.length;
    this.statValue = new Float64Array(n);
    this.statWeight = new Float64Array(n);
    const boxes: Box[] = new Array<Box>(n);
    boxes[0] = bounds;
    for (let i = 0; i < n; i++) {
      const f = tree.feature[i]!;
      if (f < 0) {
        this.statValue[i] = tree.value[i]!;
        this.statWeight[i] = cardinality(boxes[i]!);
      } else {
        boxes[tree.left[i]!] = narrowed(boxes[i]!, f, 1, tree.threshold[i]!);
        boxes[tree.right[i]!] = narrowed(boxes[i]!, f, 0, tree.threshold[i]!);
      }
    }
    this.subtreeFeatures = Array.from({ length: n }, () => new Uint8Array(nFeatures));
    for (let i = n - 1; i >= 0; i--) {
      const f = tree.feature[i]!;
      if (f < 0) continue;
      const l = tree.left[i]!;
      const r = tree.right[i]!;
      const wl = this.statWeight[l]!;
      const wr = this.statWeight[r]!;
      this.statValue[i] = (this.statValue[l]! * wl + this.statValue[r]! * wr) / (wl + wr);
      this.statWeight[i] = wl + wr;
      const active = this.subtreeFeatures[i]!;
      active[f] = 1;
      for (let k = 0; k < nFeatures; k++) active[k] = active[k]! | this.subtreeFeatures[l]![k]! | this.subtreeFeatures[r]![k]!;
    }
    const splits = Array.from({ length: nFeatures }, () => new Set<number>());
    for (let i = 0; i < n; i++) if (tree.feature[i]! >= 0) splits[tree.feature[i]!]!.add(tree.threshold[i]!);
    splits.forEach((set, f) => {
      const edges = [bounds[f]![0], ...[...set].sort((a, b) => a - b), bounds[f]![1]];
      this.midpoints.push(edges.slice(1).map((e, j) => 0.5 * (e + edges[j]!)));
      this.sizes.push(edges.slice(1).map((e, j) => e - edges[j]!));
    });
    const values: number[] = [];
    const weights: number[] = [];
    for (let i = 0; i < n; i++) {
      if (tree.feature[i]! >= 0) continue;
      values.push(this.statValue[i]!);
      weights.push(this.statWeight[i]!);
    }
    this.variance = weightedVariance(values, weights);
  }

  /** The variance of the tree's prediction marginalised over every feature but `features`. */
  marginalVariance(features: readonly number[]): number {
    const values: number[] = [];
    const weights: number[] = [];
    const point = new Float64Array(this.bounds.length).fill(NaN);
    const visit = (k: number, size: number): void => {
      if (k === features.length) {
        const [value, weight] = this.marginalized(point, features);
        values.push(value);
        weights.push(weight * size);
        return;
      }
      const f = features[k]!;
      this.midpoints[f]!.forEach((m, j) => {
        point[f] = m;
        visit(k + 1, size * this.sizes[f]![j]!);
      });
    };
    visit(0, 1);
    return weightedVariance(values, weights);
  }

  /** _get_marginalized_statistics: the mean prediction with `features` fixed at `point`, and its weight. */
  private marginalized(point: Float64Array, features: readonly number[]): [number, number] {
    const start: Box = this.bounds.map((b, f) => (Number.isNaN(point[f]!) ? [0, 1] : [b[0], b[1]]));
    const nodes = [0];
    const boxes = [start];
    let sumWeighted = 0;
    let sumWeights = 0;
    while (nodes.length) {
      const i = nodes.pop()!;
      const box = boxes.pop()!;
      const f = this.tree.feature[i]!;
      if (f >= 0) {
        const response = point[f]!;
        if (!Number.isNaN(response)) {
          const goLeft = response <= this.tree.threshold[i]!;
          nodes.push(goLeft ? this.tree.left[i]! : this.tree.right[i]!);
          boxes.push(narrowed(box, f, goLeft ? 1 : 0, this.tree.threshold[i]!));
          continue;
        }
        const active = this.subtreeFeatures[i]!;
        if (features.some((g) => active[g])) {
          nodes.push(this.tree.left[i]!, this.tree.right[i]!);
          boxes.push(box, box);
          continue;
        }
      }
      const weight = this.statWeight[i]! / cardinality(box);
      sumWeighted += this.statValue[i]! * weight;
      sumWeights += weight;
    }
    return [sumWeighted / sumWeights, sumWeights];
  }
}

function weightedVariance(values: readonly number[], weights: readonly number[]): number {
  let w = 0;
  let mean = 0;
  for (let i = 0; i < values.length; i++) {
    w += weights[i]!;
    mean += values[i]! * weights[i]!;
  }
  mean /= w;
  let variance = 0;
  for (let i = 0; i < values.length; i++) variance += weights[i]! * (values[i]! - mean) ** 2;
  return variance / w;
}
