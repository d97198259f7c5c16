/**
 * The metrics a sweep can optimise or constrain, read from one epoch's metrics (the single
 * objective: what a TrialReport's objectiveByEpoch holds) or from a whole trial's measurements
 * (several objectives and constraints, at the trial's best epoch). Pure: workflow code imports it.
 */
import { finiteOrNull, METRIC_FIELDS } from '../domain/metrics.js';
import type { EpochMetrics } from '../train/types.js';

/** The single objective's metrics, each with the direction that makes it better. */
export const OBJECTIVE_MODES = { val_auc: 'max', val_pr_auc: 'max', val_loss: 'min' } as const;
export type ObjectiveMetric = keyof typeof OBJECTIVE_MODES;

/** What several objectives and constraints may name: the epoch metrics plus the model's costs. */
export const TRIAL_METRIC_MODES = { ...OBJECTIVE_MODES, params: 'min', inference_ms_per_1k: 'min', train_seconds: 'min' } as const;
export type TrialMetric = keyof typeof TRIAL_METRIC_MODES;
export const TRIAL_METRICS = Object.keys(TRIAL_METRIC_MODES) as [TrialMetric, ...TrialMetric[]];

export interface Objective {
  metric: TrialMetric;
  mode: 'max' | 'min';
}

/** Feasible when min <= value <= max (either bound may be absent). */
export interface Constraint {
  metric: TrialMetric;
  min?: number;
  max?: number;
}

/** One trial's measurements, at its best epoch where they vary by epoch; null = not measured or not finite. */
export interface TrialMetrics {
  valAuc: number | null;
  valPrAuc: number | null;
  valLoss: number | null;
  params: number;
  /** Milliseconds per 1,000 validation sequences of forward passes with the best epoch's weights, on the trial's backend. */
  inferenceMsPer1k: number | null;
  /** Wall-clock seconds of every epoch trained (validation included). */
  trainSeconds: number | null;
}

const trialFieldOf = { ...METRIC_FIELDS, params: 'params', inference_ms_per_1k: 'inferenceMsPer1k', train_seconds: 'trainSeconds' } as const satisfies Record<TrialMetric, keyof TrialMetrics>;

export function objectiveOf(metric: ObjectiveMetric, epoch: EpochMetrics): number {
  return epoch[METRIC_FIELDS[metric]];
}

/** The trial's value of `metric`; null when it has none. */
export function trialMetricOf(metric: TrialMetric, metrics: TrialMetrics): number | null {
  return finiteOrNull(metrics[trialFieldOf[metric]]);
}

/** The best finite value of an objective series (null and non-finite entries are diverged epochs); null when there is none. */
export function bestFiniteObjective(values: readonly (number | null)[], mode: 'max' | 'min'): number | null {
  const finite = values.filter((x): x is number => x !== null && Number.isFinite(x));
  if (finite.length === 0) return null;
  return mode === 'max' ? Math.max(...finite) : Math.min(...finite);
}
