/**
 * Epoch metrics by the names that specs, the API and Grafana use, and the camel-case field each is
 * read from (EpochMetrics in src/train/types.ts, the read model's columns). Pure.
 */
export const METRIC_FIELDS = { val_auc: 'valAuc', val_pr_auc: 'valPrAuc', val_loss: 'valLoss', train_loss: 'trainLoss' } as const;
export type MetricName = keyof typeof METRIC_FIELDS;

/** JSON and the results database have no NaN or Infinity: a diverged trial's metric is "no result". */
export function finiteOrNull(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Epoch metrics that learning curves can show, by their API name. */
export const CURVE_METRICS = ['val_auc', 'val_pr_auc', 'val_loss', 'train_loss'] as const satisfies readonly MetricName[];
export type CurveMetric = (typeof CURVE_METRICS)[number];
/** The most trials one curves request shows (a sweep's first ones by number when none are chosen). */
export const MAX_CURVE_TRIALS = 200;
