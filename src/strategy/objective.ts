/** The spec's objective metric read from one epoch's metrics: what a TrialReport's objectiveByEpoch holds. */
import type { ObjectiveMetric } from '../sweep-spec/schema.js';
import type { EpochMetrics } from '../train/types.js';

const fieldOf = { val_auc: 'valAuc', val_pr_auc: 'valPrAuc', val_loss: 'valLoss' } as const satisfies Record<ObjectiveMetric, keyof EpochMetrics>;

export function objectiveOf(metric: ObjectiveMetric, epoch: EpochMetrics): number {
  return epoch[fieldOf[metric]];
}
