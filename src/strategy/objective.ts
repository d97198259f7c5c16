/** The spec's objective metric read from one epoch's metrics: what a TrialReport's objectiveByEpoch holds. */
import { METRIC_FIELDS } from '../domain/metrics.js';
import type { ObjectiveMetric } from '../sweep-spec/schema.js';
import type { EpochMetrics } from '../train/types.js';

export function objectiveOf(metric: ObjectiveMetric, epoch: EpochMetrics): number {
  return epoch[METRIC_FIELDS[metric]];
}
