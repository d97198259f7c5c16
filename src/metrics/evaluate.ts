import { MetricsInputError, TaskMeasurer } from './auc.js';

export interface TaskMetrics {
  task: string;
  /** `null` when the task has a single class (it is then listed in `skippedTasks`). */
  rocAuc: number | null;
  prAuc: number | null;
  positives: number;
  negatives: number;
}

export interface Evaluation {
  /** One entry per task, in task order. */
  tasks: TaskMetrics[];
  /** Mean ROC AUC over tasks with both classes; `null` when no task has both. */
  meanRocAuc: number | null;
  /** Mean PR AUC (average precision) over tasks with both classes; `null` when no task has both. */
  meanPrAuc: number | null;
  /** Names of the tasks with a single class, left out of the means. */
  skippedTasks: string[];
}

/** The name of task `t` when no names are given. */
export function defaultTaskName(t: number): string {
  return `task${t}`;
}

/**
 * Per-task ROC AUC and PR AUC over row-major [sample][task] arrays (`labels[s * numTasks + t]`),
 * scikit-learn's definitions, and their means over the tasks that have both classes.
 *
 * Runs once per epoch on the validation set: the scratch (a few arrays of `samples` entries) is
 * allocated once and reused for every task; Float32Array scores take the fastest path. Labels must be 0 or 1; a NaN score throws MetricsInputError
 * (code 'nan-score') naming the task and sample.
 */
export function evaluateTasks(labels: ArrayLike<number>, scores: ArrayLike<number>, numTasks: number, taskNames?: readonly string[]): Evaluation {
  if (!Number.isInteger(numTasks) || numTasks < 1) throw new MetricsInputError(`numTasks must be a positive integer, got ${numTasks}`, 'shape');
  if (labels.length !== scores.length) throw new MetricsInputError(`labels and scores differ in length: ${labels.length} vs ${scores.length}`, 'shape');
  if (labels.length % numTasks !== 0) throw new MetricsInputError(`array length ${labels.length} is not a multiple of numTasks ${numTasks}`, 'shape');
  if (taskNames !== undefined && taskNames.length !== numTasks) throw new MetricsInputError(`${taskNames.length} task names for ${numTasks} tasks`, 'shape');
  const n = labels.length / numTasks;
  const measurer = new TaskMeasurer(n);
  const tasks = new Array<TaskMetrics>(numTasks);
  const skippedTasks: string[] = [];
  let rocSum = 0;
  let prSum = 0;
  let counted = 0;
  for (let t = 0; t < numTasks; t++) {
    const task = taskNames?.[t] ?? defaultTaskName(t);
    const { rocAuc, prAuc, positives, negatives } = measurer.measure(labels, scores, t, numTasks, task);
    tasks[t] = { task, rocAuc, prAuc, positives, negatives };
    if (rocAuc === null || prAuc === null) {
      skippedTasks.push(task);
      continue;
    }
    rocSum += rocAuc;
    prSum += prAuc;
    counted++;
  }
  return {
    tasks,
    meanRocAuc: counted > 0 ? rocSum / counted : null,
    meanPrAuc: counted > 0 ? prSum / counted : null,
    skippedTasks,
  };
}
