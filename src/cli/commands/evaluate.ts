import { evaluateFiles, type EvaluateResult } from '../../metrics/evaluate-files.js';
import { parseCommandArgs, printJson, type Command } from '../command.js';
import { alignColumns } from '../report.js';

const usage = `Usage: sweep evaluate PREDICTIONS.tsv LABELS.tsv [--json]

ROC AUC and PR AUC (average precision) of predictions against labels, per task and averaged,
with scikit-learn's definitions (roc_auc_score, average_precision_score).

Both files are tab-separated with a header line: an 'id' column and one column per task, the
same task names in both (in any order). Rows are matched by id; every id must appear exactly
once in each file. Predictions are numbers (any scale: probabilities, logits); labels are 0 or 1.
A task with a single class in the labels has no AUC: it is shown but left out of the means.

Options:
  --json   Print {"tasks": [{"task", "rocAuc", "prAuc", "positives", "negatives"}],
           "meanRocAuc", "meanPrAuc"} instead of a table (null AUCs for single-class tasks).
`;

function fmt(v: number | null): string {
  return v === null ? '-' : v.toFixed(4);
}

/** The human-readable table: one line per task, then the means. */
export function formatTable(result: EvaluateResult): string {
  const rows = [['task', 'ROC AUC', 'PR AUC', 'positives', 'negatives', '']];
  for (const t of result.tasks) {
    rows.push([t.task, fmt(t.rocAuc), fmt(t.prAuc), String(t.positives), String(t.negatives), t.rocAuc === null ? '(single class: skipped)' : '']);
  }
  const evaluated = result.tasks.filter((t) => t.rocAuc !== null).length;
  rows.push(['mean', fmt(result.meanRocAuc), fmt(result.meanPrAuc), '', '', `over ${evaluated} of ${result.tasks.length} tasks`]);
  return alignColumns(rows, { right: [1, 2, 3, 4] }).join('\n') + '\n';
}

const evaluate: Command = {
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('evaluate', argv, { json: { type: 'boolean' } }, { min: 2, max: 2, names: 'PREDICTIONS.tsv LABELS.tsv' });
    const result = await evaluateFiles(positionals[0]!, positionals[1]!);
    if (values.json) printJson({ tasks: result.tasks, meanRocAuc: result.meanRocAuc, meanPrAuc: result.meanPrAuc });
    else process.stdout.write(formatTable(result));
    return 0;
  },
};

export default evaluate;
