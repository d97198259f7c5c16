/** Ranking metrics (scikit-learn definitions). Pure TypeScript: no tfjs, no Node modules. */
export { aucFromSorted, averagePrecision, binaryMetrics, MetricsInputError, rocAuc, TaskMeasurer } from './auc.js';
export type { BinaryMetrics, TaskResult } from './auc.js';
export { defaultTaskName, evaluateTasks } from './evaluate.js';
export type { Evaluation, TaskMetrics } from './evaluate.js';
