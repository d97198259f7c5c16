/**
 * The Tree-structured Parzen Estimator (Bergstra et al. 2011; Watanabe 2023, "Tree-Structured
 * Parzen Estimator: Understanding Its Algorithm Components"), following Optuna 5's TPESampler
 * (optuna/samplers/_tpe/sampler.py and parzen_estimator.py) so results are comparable:
 *
 * - The first `startupTrials` finished trials are drawn from the prior (uniform).
 * - Then the finished trials split into the best gamma(n) = min(ceil(0.1 n), 25) ("below") and the
 *   rest ("above"); each side becomes a Parzen mixture, one kernel per trial plus a prior kernel
 *   (weight 1, Optuna's prior_weight), trials weighted by Optuna's default ramp (older trials
 *   count less once there are more than 25). Numeric kernels are truncated normals centred on the
 *   trial with the larger distance to its sorted neighbours as sigma (no endpoints), clipped to
 *   [range / min(100, 1 + kernels), range] (the "magic clip"); log ranges work on the log; integers
 *   are discrete (mass of [x - 1/2, x + 1/2]). Categorical kernels put 1 on the trial's choice over
 *   a flat prior_weight / kernels. The prior kernel is N(centre, range) or uniform.
 * - 24 candidates are drawn from "below"; the one maximising log l(x) - log g(x) wins.
 *   Multivariate (the default, as in Optuna 5) draws and scores all parameters jointly from one
 *   kernel; univariate picks each parameter on its own.
 *
 * Where this differs from Optuna, on purpose:
 * - Failed trials (and non-finite objectives) are observations: they rank after every finished
 *   trial, so they land in "above" and push g(x) up where trials fail; Optuna ignores failed trials,
 *   and keeps proposing a region whose trials all diverge. They count in n for gamma(n).
 * - Running trials always join "above" (Optuna's constant_liar, on by default in Optuna 5 too),
 *   so parallel suggestions move away from configurations in flight.
 * - Never an exact duplicate of a configuration already run or running: the best candidate that is
 *   new wins; when all candidates repeat, a new batch is drawn, and a finite space falls back to
 *   scoring every configuration not yet run. When a finite space has no new configuration left,
 *   the sampler says so (undefined) and the sweep ends early.
 * - Multi-fidelity (ASHA): a trial's rank is (highest rung finished, score there), like Optuna's
 *   ordering of pruned trials by the step they reached.
 *
 * Pure and deterministic: all randomness comes from src/rng.ts, whose state is carried.
 */
import { Rng } from '../rng.js';
import { splitByRank } from './pareto.js';
import { logGaussMass, truncnormLogPdf, truncnormPpf } from './tpe-math.js';
import { roundFloat, type Params, type ParamValue } from './space.js';
import { configKey, enumerateSpace, sampleUniform, spaceSize, type TpeParam } from './tpe-space.js';

export interface TpeOptions {
  /** Finished trials (failed included) drawn from the prior before the model takes over (Optuna: n_startup_trials = 10). */
  startupTrials: number;
  /** Joint kernels over all parameters (Optuna 5's default) rather than one model per parameter. */
  multivariate: boolean;
}

/** Optuna's defaults for what the spec does not expose. */
const EI_CANDIDATES = 24;
const PRIOR_WEIGHT = 1;
/** Fresh candidate batches tried before a finite space falls back to scoring every new configuration. */
const DUPLICATE_RETRIES = 8;
/** Largest finite space scored exhaustively when candidates keep repeating. */
const MAX_ENUMERATED = 50_000;

export interface TpeTrial {
  trial: number;
  params: Params;
  /** running: no result yet; observed: has a rank; failed: failed or non-finite; cancelled: ignored. */
  state: 'running' | 'observed' | 'failed' | 'cancelled';
  /** How far the trial got (ASHA rung index; 0 for single-fidelity trials); higher ranks first. */
  level: number;
  /** The objective oriented so that higher is better (with several objectives: the first); null unless observed. */
  score: number | null;
  /** With several objectives: each as a loss to minimise (src/strategy/pareto.ts lossesOf); set when observed. */
  losses?: number[];
  /** With constraints: the total violation (0 = feasible); set when observed. */
  violation?: number;
}

/** Everything the sampler needs, plain JSON: carried across continue-as-new as is. */
export interface TpeSamplerState {
  space: TpeParam[];
  options: TpeOptions;
  /** src/rng.ts state of the sampler's stream. */
  rng: number;
  /** Every trial the sampler proposed, in proposal order. */
  trials: TpeTrial[];
}

export function initialSampler(space: TpeParam[], options: TpeOptions, seed: number): TpeSamplerState {
  return { space, options, rng: new Rng(seed).state, trials: [] };
}

/**
 * Proposes params for trial `trial` and records it as running; undefined when a finite space has
 * no configuration left that was not run or is not running.
 */
export function proposeTrial(sampler: TpeSamplerState, trial: number): { sampler: TpeSamplerState; params: Params } | undefined {
  const rng = new Rng(0, sampler.rng);
  const seen = new Set(sampler.trials.map((t) => configKey(sampler.space, t.params)));
  const finished = sampler.trials.filter((t) => t.state === 'observed' || t.state === 'failed');
  const params = finished.length < sampler.options.startupTrials ? priorDraw(sampler.space, seen, rng) : tpeDraw(sampler.space, sampler.trials, sampler.options.multivariate, seen, rng);
  if (params === undefined) return undefined;
  return { params, sampler: startTrial({ ...sampler, rng: rng.state }, trial, params) };
}

/** Records trial `trial` as running with params chosen elsewhere (an enqueued configuration). */
export function startTrial(sampler: TpeSamplerState, trial: number, params: Params): TpeSamplerState {
  return { ...sampler, trials: [...sampler.trials, { trial, params, state: 'running', level: 0, score: null }] };
}

/** Records what became of a proposed trial (again when an ASHA trial finishes a higher rung). */
export function observeTrial(sampler: TpeSamplerState, trial: number, outcome: Pick<TpeTrial, 'state' | 'level' | 'score' | 'losses' | 'violation'>): TpeSamplerState {
  return { ...sampler, trials: sampler.trials.map((t) => (t.trial === trial ? { ...t, ...outcome } : t)) };
}

// ---- drawing -----------------------------------------------------------------------------------------

function priorDraw(space: readonly TpeParam[], seen: ReadonlySet<string>, rng: Rng): Params | undefined {
  for (let i = 0; i < EI_CANDIDATES * DUPLICATE_RETRIES; i++) {
    const params = sampleUniform(space, rng);
    if (!seen.has(configKey(space, params))) return params;
  }
  return bestUnseen(space, seen, () => 0);
}

function tpeDraw(space: readonly TpeParam[], trials: readonly TpeTrial[], multivariate: boolean, seen: ReadonlySet<string>, rng: Rng): Params | undefined {
  const { below, above } = splitTrials(trials);
  const groups = multivariate ? [space] : space.map((param) => [param]);
  const models = groups.map((group) => ({ group, below: buildEstimator(group, below), above: buildEstimator(group, above) }));
  const acquisition = (params: Params) => models.reduce((sum, m) => sum + m.below.logPdf(params) - m.above.logPdf(params), 0);

  for (let round = 0; round < DUPLICATE_RETRIES; round++) {
    // Each group's candidates ranked by its own acquisition; the joint best that is new wins.
    const ranked = models.map((m) => {
      const candidates = m.below.sample(rng, EI_CANDIDATES).map((params) => ({ params, value: m.below.logPdf(params) - m.above.logPdf(params) }));
      return stableSortDesc(candidates).map((c) => c.params);
    });
    if (ranked.length === 1) {
      const fresh = ranked[0]!.find((params) => !seen.has(configKey(space, params)));
      if (fresh) return fresh;
      continue;
    }
    const combined = Object.assign({}, ...ranked.map((r) => r[0]!)) as Params;
    if (!seen.has(configKey(space, combined))) return combined;
  }
  return bestUnseen(space, seen, acquisition, () => sampleUniform(space, rng));
}

function stableSortDesc<T extends { value: number }>(items: T[]): T[] {
  return items
    .map((item, i) => ({ item, i }))
    .sort((a, b) => b.item.value - a.item.value || a.i - b.i)
    .map((x) => x.item);
}

/** The new configuration with the best score in a small finite space; prior draws otherwise. */
function bestUnseen(space: readonly TpeParam[], seen: ReadonlySet<string>, score: (params: Params) => number, draw?: () => Params): Params | undefined {
  const size = spaceSize(space);
  if (size <= MAX_ENUMERATED) {
    let best: { params: Params; value: number } | undefined;
    for (const params of enumerateSpace(space)) {
      if (seen.has(configKey(space, params))) continue;
      const value = score(params);
      if (best === undefined || value > best.value) best = { params, value };
    }
    return best?.params;
  }
  // Too many configurations to list: draws from the prior rarely repeat there.
  for (let i = 0; draw && i < 1000; i++) {
    const params = draw();
    if (!seen.has(configKey(space, params))) return params;
  }
  return undefined;
}

// ---- below / above -----------------------------------------------------------------------------------

/** Optuna's default_gamma: how many of n finished trials make the "below" (good) group. */
export function gamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/** Optuna's default_weights: flat for the newest 25, a linear ramp from 1/n for older ones. */
export function trialWeights(n: number): number[] {
  if (n < 25) return new Array<number>(n).fill(1);
  const rampLength = n - 25;
  const ramp = Array.from({ length: rampLength }, (_, i) => (rampLength === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (rampLength - 1)));
  return [...ramp, ...new Array<number>(25).fill(1)];
}

/** Ranks best first: further (level), then higher score, then earlier; failed trials last. */
function ranksBefore(a: TpeTrial, b: TpeTrial): number {
  const failedA = a.state === 'failed' || a.score === null;
  const failedB = b.state === 'failed' || b.score === null;
  if (failedA !== failedB) return failedA ? 1 : -1;
  if (!failedA && a.level !== b.level) return b.level - a.level;
  if (!failedA && a.score !== b.score) return b.score! - a.score!;
  return a.trial - b.trial;
}

export function splitTrials(trials: readonly TpeTrial[]): { below: TpeTrial[]; above: TpeTrial[] } {
  const finished = trials.filter((t) => t.state === 'observed' || t.state === 'failed');
  if (finished.some((t) => t.losses !== undefined || t.violation !== undefined)) return splitObjectivesAndConstraints(trials, finished);
  const ranked = [...finished].sort(ranksBefore);
  const observed = ranked.filter((t) => t.state === 'observed' && t.score !== null).length;
  // Failed trials never count as good, however few trials succeeded.
  const nBelow = Math.min(gamma(finished.length), observed);
  const byNumber = (a: TpeTrial, b: TpeTrial) => a.trial - b.trial;
  const running = trials.filter((t) => t.state === 'running');
  return { below: ranked.slice(0, nBelow).sort(byNumber), above: [...ranked.slice(nBelow), ...running].sort(byNumber) };
}

/**
 * Optuna's _split_trials with several objectives or constraints (optuna/samplers/_tpe/sampler.py):
 * feasible trials fill "below" first, by the objective or, with several, by non-domination rank
 * with the last rank that fits cut by hypervolume subset selection
 * (_split_complete_trials_multi_objective); the room left goes to infeasible trials, least
 * violation first (_split_infeasible_trials). Failed trials stay "above" and count in n, as in the
 * single-objective split; running trials are "above" (constant liar). Optuna 5.1 weighs every
 * "below" trial 1 with several objectives (_build_parzen_estimator), which trialWeights gives for
 * the at most 25 trials of "below".
 */
function splitObjectivesAndConstraints(trials: readonly TpeTrial[], finished: readonly TpeTrial[]): { below: TpeTrial[]; above: TpeTrial[] } {
  const observed = finished.filter((t) => t.state === 'observed' && t.score !== null);
  const feasible = observed.filter((t) => !(t.violation! > 0));
  const infeasible = observed.filter((t) => t.violation! > 0);
  let room = gamma(finished.length);
  let below: TpeTrial[];
  if (feasible.every((t) => t.losses !== undefined)) {
    const chosen = splitByRank(
      feasible.map((t) => t.losses!),
      Math.min(room, feasible.length),
    );
    below = feasible.filter((_, i) => chosen.has(i));
  } else {
    below = [...feasible].sort(ranksBefore).slice(0, room);
  }
  room -= below.length;
  below = [...below, ...[...infeasible].sort((a, b) => a.violation! - b.violation! || a.trial - b.trial).slice(0, Math.max(0, room))];
  const inBelow = new Set(below);
  const byNumber = (a: TpeTrial, b: TpeTrial) => a.trial - b.trial;
  return { below: below.sort(byNumber), above: trials.filter((t) => t.state !== 'cancelled' && !inBelow.has(t)).sort(byNumber) };
}

// ---- Parzen estimator --------------------------------------------------------------------------------

type Kernels =
  | { kind: 'categorical'; param: TpeParam & { kind: 'categorical' }; probabilities: number[][] }
  | { kind: 'numeric'; param: TpeParam & { kind: 'int' | 'float' }; mus: number[]; sigmas: number[]; low: number; high: number; step: number; log: boolean };

interface Estimator {
  sample(rng: Rng, count: number): Params[];
  logPdf(params: Params): number;
}

/** A mixture of one product kernel per trial plus the prior kernel over `group`'s parameters. */
export function buildEstimator(group: readonly TpeParam[], trials: readonly TpeTrial[]): Estimator {
  const n = trials.length;
  const raw = n === 0 ? [1] : [...trialWeights(n), PRIOR_WEIGHT];
  const total = raw.reduce((a, b) => a + b, 0);
  const weights = raw.map((w) => w / total);
  const kernels = group.map((param): Kernels => {
    const values = trials.map((t) => t.params[param.name]!);
    return param.kind === 'categorical' ? categoricalKernels(param, values) : numericKernels(param, values as number[]);
  });
  const cumulative = cumulate(weights);

  return {
    sample(rng, count) {
      return Array.from({ length: count }, () => {
        const k = pick(cumulative, rng.next());
        const params: Params = {};
        for (const kernel of kernels) params[kernel.param.name] = sampleKernel(kernel, k, rng);
        return params;
      });
    },
    logPdf(params) {
      const terms = weights.map((w, k) => Math.log(w) + kernels.reduce((sum, kernel) => sum + kernelLogPdf(kernel, k, params[kernel.param.name]!), 0));
      return logSumExp(terms);
    },
  };
}

function categoricalKernels(param: TpeParam & { kind: 'categorical' }, values: ParamValue[]): Kernels {
  const choices = param.choices.length;
  if (values.length === 0) return { kind: 'categorical', param, probabilities: [new Array<number>(choices).fill(1 / choices)] };
  const kernelCount = values.length + 1;
  const rows = Array.from({ length: kernelCount }, () => new Array<number>(choices).fill(PRIOR_WEIGHT / kernelCount));
  values.forEach((value, i) => (rows[i]![param.choices.indexOf(value)]! += 1));
  return { kind: 'categorical', param, probabilities: rows.map((row) => normalise(row)) };
}

function numericKernels(param: TpeParam & { kind: 'int' | 'float' }, values: number[]): Kernels {
  const step = param.kind === 'int' ? 1 : 0;
  const log = param.kind === 'float' && param.log;
  const transform = (x: number) => (log ? Math.log(x) : x);
  const low = transform(param.low - step / 2);
  const high = transform(param.high + step / 2);
  const mus = values.map(transform);
  const sigmas = neighbourSigmas(mus, low, high);
  return { kind: 'numeric', param, mus: [...mus, 0.5 * (low + high)], sigmas: [...sigmas, high - low], low, high, step, log };
}

/** Optuna's bandwidths: the larger gap to a sorted neighbour, the outermost ones ignoring the endpoints, magic-clipped. */
function neighbourSigmas(mus: number[], low: number, high: number): number[] {
  const order = mus.map((_, i) => i).sort((a, b) => mus[a]! - mus[b]! || a - b);
  const sorted = [low, ...order.map((i) => mus[i]!), high];
  const sortedSigmas = order.map((_, j) => Math.max(sorted[j + 1]! - sorted[j]!, sorted[j + 2]! - sorted[j + 1]!));
  if (sorted.length >= 4) {
    sortedSigmas[0] = sorted[2]! - sorted[1]!;
    sortedSigmas[sortedSigmas.length - 1] = sorted.at(-2)! - sorted.at(-3)!;
  }
  const maxSigma = high - low;
  const minSigma = (high - low) / Math.min(100, 1 + (mus.length + 1));
  const sigmas = new Array<number>(mus.length);
  order.forEach((i, j) => (sigmas[i] = Math.min(maxSigma, Math.max(minSigma, sortedSigmas[j]!))));
  return sigmas;
}

function sampleKernel(kernel: Kernels, k: number, rng: Rng): ParamValue {
  if (kernel.kind === 'categorical') {
    return kernel.param.choices[pick(cumulate(kernel.probabilities[k]!), rng.next())]!;
  }
  const mu = kernel.mus[k]!;
  const sigma = kernel.sigmas[k]!;
  const z = truncnormPpf(rng.next(), (kernel.low - mu) / sigma, (kernel.high - mu) / sigma);
  const x = kernel.log ? Math.exp(z * sigma + mu) : z * sigma + mu;
  const { low, high } = kernel.param;
  return kernel.step > 0 ? Math.min(high, Math.max(low, low + Math.round((x - low) / kernel.step) * kernel.step)) : roundFloat(x, low, high);
}

function kernelLogPdf(kernel: Kernels, k: number, value: ParamValue): number {
  if (kernel.kind === 'categorical') return Math.log(kernel.probabilities[k]![kernel.param.choices.indexOf(value)]!);
  const x = value as number;
  const mu = kernel.mus[k]!;
  const sigma = kernel.sigmas[k]!;
  if (kernel.step === 0) return truncnormLogPdf(kernel.log ? Math.log(x) : x, mu, sigma, kernel.low, kernel.high);
  const t = (v: number) => ((kernel.log ? Math.log(v) : v) - mu) / sigma;
  return logGaussMass(t(x - kernel.step / 2), t(x + kernel.step / 2)) - logGaussMass((kernel.low - mu) / sigma, (kernel.high - mu) / sigma);
}

// ---- small numerics ----------------------------------------------------------------------------------

function normalise(values: number[]): number[] {
  const total = values.reduce((a, b) => a + b, 0);
  return values.map((v) => v / total);
}

function cumulate(probabilities: readonly number[]): number[] {
  let sum = 0;
  return probabilities.map((p) => (sum += p));
}

/** The index i with cumulative[i - 1] <= u < cumulative[i] (the last one absorbs rounding). */
function pick(cumulative: readonly number[], u: number): number {
  const i = cumulative.findIndex((c) => u < c);
  return i < 0 ? cumulative.length - 1 : i;
}

function logSumExp(terms: readonly number[]): number {
  const max = Math.max(...terms);
  if (max === -Infinity) return -Infinity;
  return max + Math.log(terms.reduce((sum, t) => sum + Math.exp(t - max), 0));
}
