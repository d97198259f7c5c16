/**
 * PED-ANOVA parameter importance, ported from Optuna 5.1's
 * optuna/importance/_ped_anova/evaluator.py (PedAnovaImportanceEvaluator with its defaults:
 * target_quantile 0.1, region_quantile 1.0, evaluate_on_local true, 50 grid steps, prior weight 1,
 * at least 2 trials per regime) and optuna/importance/_ped_anova/scott_parzen_estimator.py (the
 * Parzen estimator on a grid with Scott's bandwidth). Deterministic: it agrees with Optuna to 1e-6.
 * Every param of our search space is present in every trial, so the only regime is "active"; a
 * trial without the param counts in the region but not in any regime, as Optuna's inactive regime.
 */
import { logGaussMass } from '../strategy/tpe-math.js';
import type { ImportanceInput, Importances, ObservedTrial, ParamSpace } from './types.js';

const TARGET_QUANTILE = 0.1;
const N_STEPS = 50;
const PRIOR_WEIGHT = 1;
const MIN_TRIALS_IN_REGIME = 2;

/** Unnormalised importances in input order (see `paramImportances` for Optuna's normalisation). */
export function pedAnova(input: ImportanceInput): Importances {
  const trials = input.trials.filter((t) => Number.isFinite(t.value));
  const zero = Object.fromEntries(input.space.map((p) => [p.name, 0]));
  if (trials.length <= 1) return zero;
  const target = topQuantile(trials, TARGET_QUANTILE, input.direction);
  // region_quantile 1.0: the region is every trial.
  const region = trials;
  const quantile = target.length / region.length;
  const importances: Importances = { ...zero };
  for (const param of input.space) {
    const regionRegime = region.filter((t) => t.params[param.name] !== undefined);
    if (regionRegime.length < MIN_TRIALS_IN_REGIME || isSingle(param)) continue;
    const targetRegime = target.filter((t) => t.params[param.name] !== undefined);
    if (targetRegime.length === 0) continue;
    const alpha = targetRegime.length / target.length;
    const beta = regionRegime.length / region.length;
    importances[param.name] = ((alpha * alpha) / beta) * pearsonDivergence(param, targetRegime, regionRegime) * quantile * quantile;
  }
  return importances;
}

/** _QuantileFilter: the trials whose loss is at most the inverted-CDF quantile of the losses. */
function topQuantile(trials: readonly ObservedTrial[], quantile: number, direction: ImportanceInput['direction']): ObservedTrial[] {
  const sign = direction === 'minimize' ? 1 : -1;
  const losses = trials.map((t) => sign * t.value);
  const cutoffIndex = Math.ceil(quantile * losses.length) - 1;
  const cutoff = [...losses].sort((a, b) => a - b)[cutoffIndex]!;
  return trials.filter((_, i) => losses[i]! <= cutoff);
}

function isSingle(param: ParamSpace): boolean {
  return param.kind === 'choice' ? param.choices.length === 1 : param.low === param.high;
}

function pearsonDivergence(param: ParamSpace, target: readonly ObservedTrial[], region: readonly ObservedTrial[]): number {
  const top = parzenOnGrid(param, target);
  const local = parzenOnGrid(param, region);
  let divergence = 0;
  for (let i = 0; i < top.length; i++) {
    const pTop = top[i]! + 1e-12;
    const pLocal = local[i]! + 1e-12;
    divergence += pLocal * (pTop / pLocal - 1) ** 2;
  }
  return divergence;
}

/** build_parzen_estimator_on_grid followed by ScottParzenEstimator.pdf at every grid point. */
function parzenOnGrid(param: ParamSpace, trials: readonly ObservedTrial[]): number[] {
  const counts = param.kind === 'choice' ? categoricalCounts(param, trials) : numericalCounts(param, trials);
  const observations: number[] = [];
  const weights: number[] = [];
  counts.forEach((c, i) => {
    if (c > 0) {
      observations.push(i);
      weights.push(c);
    }
  });
  const total = weights.reduce((a, b) => a + b, 0) + PRIOR_WEIGHT;
  const mixture = [...weights, PRIOR_WEIGHT].map((w) => w / total);
  const kernelPdf = param.kind === 'choice' ? categoricalKernels(observations, counts.length) : numericalKernels(observations, weights, counts.length);
  return counts.map((_, x) => mixture.reduce((sum, w, k) => sum + w * kernelPdf(k, x), 0));
}

function categoricalCounts(param: Extract<ParamSpace, { kind: 'choice' }>, trials: readonly ObservedTrial[]): number[] {
  const counts = new Array<number>(param.choices.length).fill(0);
  for (const t of trials) {
    const index = param.choices.indexOf(t.params[param.name]!);
    if (index < 0) throw new Error(`param ${param.name}: ${String(t.params[param.name])} is not one of its choices`);
    counts[index]!++;
  }
  return counts;
}

/** _count_numerical_param_in_grid: values binned onto an evenly spaced grid (in log space for logUniform). */
function numericalCounts(param: Exclude<ParamSpace, { kind: 'choice' }>, trials: readonly ObservedTrial[]): number[] {
  const log = param.kind === 'logUniform';
  const nSteps = param.kind === 'int' ? Math.min(Math.round(param.high - param.low) + 1, N_STEPS) : N_STEPS;
  const f = log ? Math.log : (x: number) => x;
  const low = f(param.low);
  const stepSize = (f(param.high) - low) / (nSteps - 1);
  const counts = new Array<number>(nSteps).fill(0);
  for (const t of trials) {
    // Midpoint ties go to the lower grid point, as Optuna keeps for backward compatibility.
    const index = Math.ceil((f(t.params[param.name] as number) - low) / stepSize - 0.5);
    counts[Math.min(nSteps - 1, Math.max(0, index))]!++;
  }
  return counts;
}

/** Kernel k's probability of choice x: one-hot plus the prior spread evenly; the last kernel is the uniform prior. */
function categoricalKernels(observations: readonly number[], nChoices: number): (k: number, x: number) => number {
  const nKernels = observations.length + 1;
  const base = PRIOR_WEIGHT / nKernels;
  const rowSum = base * nChoices;
  return (k, x) => (k < observations.length ? (base + (observations[k] === x ? 1 : 0)) / (rowSum + 1) : 1 / nChoices);
}

/**
 * Discrete truncated normals on grid indices 0..size-1, one per occupied grid point with Scott's
 * bandwidth (floored so 90% of a kernel's mass spans a grid cell) and a wide prior at the centre.
 */
function numericalKernels(observations: readonly number[], weights: readonly number[], size: number): (k: number, x: number) => number {
  const low = 0;
  const high = size - 1;
  const cumulative: number[] = [];
  weights.reduce((sum, w) => (cumulative.push(sum + w), sum + w), 0);
  const weightSum = cumulative[cumulative.length - 1]!;
  const mean = observations.reduce((s, o, i) => s + o * weights[i]!, 0) / weightSum;
  let sigma = Math.sqrt(observations.reduce((s, o, i) => s + (o - mean) ** 2 * weights[i]!, 0) / Math.max(1, weightSum - 1));
  const q1 = searchSorted(cumulative, Math.floor(weightSum / 4), 'left');
  const q3 = searchSorted(cumulative, Math.floor((weightSum * 3) / 4), 'right');
  const iqr = observations[Math.min(observations.length - 1, q3)]! - observations[q1]!;
  sigma = 1.059 * Math.min(iqr / 1.34, sigma) * weightSum ** -0.2;
  const sigmaMin = 0.5 / 1.64;
  const mus = [...observations, (low + high) / 2];
  const sigmas = [...observations.map(() => Math.max(sigma, sigmaMin)), high - low + 1];
  return (k, x) => {
    const mu = mus[k]!;
    const s = sigmas[k]!;
    const mass = logGaussMass((x - 0.5 - mu) / s, (x + 0.5 - mu) / s) - logGaussMass((low - 0.5 - mu) / s, (high + 0.5 - mu) / s);
    return Math.exp(mass);
  };
}

/** numpy.searchsorted on an ascending array. */
function searchSorted(sorted: readonly number[], value: number, side: 'left' | 'right'): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (side === 'left' ? sorted[mid]! < value : sorted[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
