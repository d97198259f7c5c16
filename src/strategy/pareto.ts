/**
 * Several objectives and constraints, as Optuna 5 treats them (optuna/study/_multi_objective.py,
 * optuna/_hypervolume, optuna/samplers/_tpe/sampler.py): every objective is turned into a loss to
 * minimise; a trial's constraint violation is the sum of how far each metric lies outside its
 * bounds (0 = feasible); ranks are non-domination ranks among feasible trials, then infeasible
 * trials after all of them, ordered by violation. The leaderboard, the front in the CLI, the API
 * and the report, and the multi-objective TPE (tpe-sampler.ts) all use this one module.
 * Pure: workflow code imports it.
 */
import { trialMetricOf, type Constraint, type Objective, type TrialMetrics } from './objective.js';

/** Optuna's EPS in the TPE sampler: a reference point's floor. */
export const EPS = 1e-12;

/** The trial's objectives as losses (maximised ones negated); undefined when one is missing. */
export function lossesOf(objectives: readonly Objective[], metrics: TrialMetrics): number[] | undefined {
  const losses: number[] = [];
  for (const objective of objectives) {
    const value = trialMetricOf(objective.metric, metrics);
    if (value === null) return undefined;
    losses.push(objective.mode === 'max' ? -value : value);
  }
  return losses;
}

/** Total violation of the constraints: 0 when feasible; Infinity when a constrained metric was not measured. */
export function violationOf(constraints: readonly Constraint[], metrics: TrialMetrics): number {
  let total = 0;
  for (const { metric, min, max } of constraints) {
    const value = trialMetricOf(metric, metrics);
    if (value === null) return Infinity;
    if (min !== undefined && value < min) total += min - value;
    if (max !== undefined && value > max) total += value - max;
  }
  return total;
}

/** a is no worse than b in every loss and better in one. */
export function dominates(a: readonly number[], b: readonly number[]): boolean {
  let better = false;
  for (let i = 0; i < a.length; i++) {
    if (a[i]! > b[i]!) return false;
    if (a[i]! < b[i]!) better = true;
  }
  return better;
}

/**
 * Non-domination ranks, 1 = the Pareto front. With `violations`, as Optuna's
 * _fast_non_domination_rank with a penalty: feasible trials (violation 0) are ranked among
 * themselves; infeasible ones come after the last feasible rank, one rank per distinct violation,
 * smallest first; unmeasured ones (Infinity) last of all.
 */
export function paretoRanks(losses: readonly (readonly number[])[], violations?: readonly number[]): number[] {
  const ranks = new Array<number>(losses.length).fill(0);
  const feasible = losses.map((_, i) => i).filter((i) => violations === undefined || violations[i] === 0);
  const front = nondominationRanks(feasible.map((i) => losses[i]!));
  feasible.forEach((i, j) => (ranks[i] = front[j]!));
  if (violations === undefined) return ranks;
  let next = Math.max(0, ...front) + 1;
  const infeasible = [...new Set(violations.filter((v) => v > 0 && Number.isFinite(v)))].sort((a, b) => a - b);
  const rankOfViolation = new Map(infeasible.map((v, k) => [v, next + k]));
  next += infeasible.length;
  violations.forEach((v, i) => {
    if (v > 0) ranks[i] = rankOfViolation.get(v) ?? next;
  });
  return ranks;
}

/** Plain non-dominated sorting (peeling fronts): fine for the few hundred trials of a sweep. */
function nondominationRanks(losses: readonly (readonly number[])[]): number[] {
  const ranks = new Array<number>(losses.length).fill(0);
  let remaining = losses.map((_, i) => i);
  for (let rank = 1; remaining.length > 0; rank++) {
    const front = remaining.filter((i) => !remaining.some((j) => j !== i && dominates(losses[j]!, losses[i]!)));
    for (const i of front) ranks[i] = rank;
    remaining = remaining.filter((i) => ranks[i] === 0);
  }
  return ranks;
}

/** What a sweep with several objectives or constraints ranks its trials by. */
export interface Ranking {
  objectives: Objective[];
  constraints: Constraint[];
}

/**
 * The sweep's ranking, from its spec (or strategy setup); undefined for a single objective without
 * constraints, whose best-model rule is src/strategy/best.ts. With constraints alone, the objective
 * is that rule's: val AUC.
 */
export function rankingOf(spec: { objectives?: Objective[]; constraints?: Constraint[] }): Ranking | undefined {
  if (!spec.objectives && !spec.constraints) return undefined;
  return { objectives: spec.objectives ?? [{ metric: 'val_auc', mode: 'max' }], constraints: spec.constraints ?? [] };
}

export interface RankedTrial<T> {
  entry: T;
  /** 1 = the Pareto front (of the feasible trials, when any is feasible). */
  rank: number;
  feasible: boolean;
  losses: number[];
}

/**
 * The leaderboard: trials with every objective measured, by Pareto rank (constraint-aware), then
 * the first objective, then the earlier trial. Its first entry is the sweep's best model: the
 * front's member best on the first objective.
 */
export function rankTrials<T extends { trial: number; metrics: TrialMetrics }>(entries: readonly T[], objectives: readonly Objective[], constraints: readonly Constraint[]): RankedTrial<T>[] {
  const measured = entries.flatMap((entry) => {
    const losses = lossesOf(objectives, entry.metrics);
    return losses ? [{ entry, losses, violation: violationOf(constraints, entry.metrics) }] : [];
  });
  const ranks = paretoRanks(
    measured.map((m) => m.losses),
    measured.map((m) => m.violation),
  );
  return measured
    .map((m, i) => ({ entry: m.entry, rank: ranks[i]!, feasible: m.violation === 0, losses: m.losses }))
    .sort((a, b) => a.rank - b.rank || a.losses[0]! - b.losses[0]! || a.entry.trial - b.entry.trial);
}

// ---- hypervolume -------------------------------------------------------------------------------------

/** Optuna's _get_reference_point: 10% beyond the worst loss of each objective (EPS where that is 0). */
export function referencePoint(losses: readonly (readonly number[])[]): number[] {
  return losses[0]!.map((_, d) => {
    const worst = Math.max(...losses.map((l) => l[d]!));
    const ref = Math.max(1.1 * worst, 0.9 * worst);
    return ref === 0 ? EPS : ref;
  });
}

/** The volume dominated by `points` (losses) and bounded by `reference`; points not below the reference add nothing. */
export function hypervolume(points: readonly (readonly number[])[], reference: readonly number[]): number {
  const inside = points.filter((p) => p.every((x, d) => x < reference[d]!));
  if (inside.length === 0) return 0;
  if (reference.length === 1) return reference[0]! - Math.min(...inside.map((p) => p[0]!));
  // Slices along the last objective: between consecutive values, the points at or below the
  // slice's lower edge dominate an area in the remaining objectives.
  const last = reference.length - 1;
  const sorted = [...inside].sort((a, b) => a[last]! - b[last]!);
  let volume = 0;
  for (let i = 0; i < sorted.length; i++) {
    const upper = i + 1 < sorted.length ? sorted[i + 1]![last]! : reference[last]!;
    if (upper === sorted[i]![last]) continue;
    volume +=
      hypervolume(
        sorted.slice(0, i + 1).map((p) => p.slice(0, last)),
        reference.slice(0, last),
      ) *
      (upper - sorted[i]![last]!);
  }
  return volume;
}

/**
 * Optuna's _solve_hssp: `size` of `points` chosen greedily by hypervolume contribution (a 1 - 1/e
 * approximation). Distinct points are taken in lexicographic order, ties to the first; duplicates
 * only when there are fewer distinct points than `size`. Returns indices into `points`.
 */
export function hypervolumeSubset(points: readonly (readonly number[])[], size: number, reference: readonly number[]): number[] {
  if (size >= points.length) return points.map((_, i) => i);
  const firstOf = new Map<string, number>();
  points.forEach((p, i) => {
    const key = JSON.stringify(p);
    if (!firstOf.has(key)) firstOf.set(key, i);
  });
  const unique = [...firstOf.values()].sort((a, b) => compareLex(points[a]!, points[b]!));
  if (unique.length < size) {
    const uniqueSet = new Set(unique);
    const duplicates = points.map((_, i) => i).filter((i) => !uniqueSet.has(i));
    return [...unique, ...duplicates.slice(0, size - unique.length)].sort((a, b) => a - b);
  }
  if (!reference.every(Number.isFinite)) return unique.slice(0, size);
  const chosen: number[] = [];
  let candidates = unique;
  let chosenVolume = 0;
  while (chosen.length < size) {
    let best = { index: -1, volume: -Infinity };
    for (const i of candidates) {
      const volume = hypervolume([...chosen.map((c) => points[c]!), points[i]!], reference);
      if (volume - chosenVolume > best.volume - chosenVolume) best = { index: i, volume };
    }
    chosen.push(best.index);
    chosenVolume = best.volume;
    candidates = candidates.filter((i) => i !== best.index);
  }
  return chosen;
}

function compareLex(a: readonly number[], b: readonly number[]): number {
  for (let d = 0; d < a.length; d++) if (a[d] !== b[d]) return a[d]! - b[d]!;
  return 0;
}

/**
 * Optuna's split of finished feasible trials for several objectives
 * (_split_complete_trials_multi_objective): whole non-domination ranks go "below" while they fit
 * in `nBelow`; the rank that does not fit is cut by hypervolume subset selection. Returns the
 * indices that go below.
 */
export function splitByRank(losses: readonly (readonly number[])[], nBelow: number): Set<number> {
  if (nBelow <= 0) return new Set();
  if (nBelow >= losses.length) return new Set(losses.map((_, i) => i));
  const ranks = paretoRanks(losses);
  const below = new Set<number>();
  for (let rank = 1; below.size < nBelow; rank++) {
    const members = ranks.flatMap((r, i) => (r === rank ? [i] : []));
    if (below.size + members.length <= nBelow) {
      for (const i of members) below.add(i);
      continue;
    }
    const tied = members.map((i) => losses[i]!);
    for (const j of hypervolumeSubset(tied, nBelow - below.size, referencePoint(tied))) below.add(members[j]!);
  }
  return below;
}
