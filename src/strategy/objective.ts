/** The spec's objective metric read from one epoch's metrics: what a TrialReport's objectiveByEpoch holds. */
import { METRIC_FIELDS } from '../domain/metrics.js';
import type { ObjectiveMetric } from '../sweep-spec/schema.js';
import type { EpochMetrics } from '../train/types.js';

export function objectiveOf(metric: ObjectiveMetric, epoch: EpochMetrics): number {
  return epoch[METRIC_FIELDS[metric]];
}

/** The best finite value of an objective series (null and non-finite entries are diverged epochs); null when there is none. */
export function bestFiniteObjective(values: readonly (number | null)[], mode: 'max' | 'min'): number | null {
  const finite = values.filter((x): x is number => x !== null && Number.isFinite(x));
  if (finite.length === 0) return null;
  return mode === 'max' ? Math.max(...finite) : Math.min(...finite);
}
