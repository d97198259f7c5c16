import { open } from 'node:fs/promises';
import { UserError } from '../../errors.js';
import { evaluateTasks, type TaskMetrics } from '../../metrics/index.js';
import { parseCommandArgs, printJson, type Command } from '../command.js';

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

/** At most this many ids are named in an error; the rest are counted. */
const NAMED_IDS = 5;
const NUMBER = /^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

export interface EvaluateResult {
  tasks: TaskMetrics[];
  meanRocAuc: number | null;
  meanPrAuc: number | null;
}

interface Header {
  idColumn: number;
  /** Column index of each task, in header order. */
  taskColumns: number[];
  taskNames: string[];
  width: number;
}

/** Lines of a text file, 1-based line numbers, I/O errors as UserError naming the file. */
async function* readLines(path: string, what: string): AsyncGenerator<[line: string, lineNo: number]> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw new UserError(`cannot read ${what} file '${path}': ${(err as Error).message}`);
  }
  let lineNo = 0;
  try {
    for await (let line of fh.readLines({ encoding: 'utf8' })) {
      lineNo++;
      if (lineNo === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      yield [line, lineNo];
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`cannot read ${what} file '${path}': ${(err as Error).message}`);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

function parseHeader(line: string, file: string): Header {
  if (line.trim() === '') throw new UserError(`${file} line 1: empty header; expected an 'id' column and one column per task`);
  const names = line.split('\t').map((s) => s.trim());
  const seen = new Set<string>();
  for (const [i, name] of names.entries()) {
    if (name === '') throw new UserError(`${file} line 1: column ${i + 1} has an empty name`);
    if (seen.has(name)) throw new UserError(`${file} line 1: duplicate column '${name}'`);
    seen.add(name);
  }
  const idColumn = names.indexOf('id');
  if (idColumn < 0) throw new UserError(`${file} line 1: no 'id' column in the header (columns: ${names.join(', ')})`);
  const taskColumns = names.map((_, i) => i).filter((i) => i !== idColumn);
  if (taskColumns.length === 0) throw new UserError(`${file} line 1: no task columns besides 'id'`);
  return { idColumn, taskColumns, taskNames: taskColumns.map((i) => names[i]!), width: names.length };
}

/**
 * Streams a TSV file: `onHeader` with its parsed header, then `onRow` with each non-blank row's
 * fields and id. Returns the header; a file without one is an error.
 */
async function readRows(
  file: string,
  what: string,
  onHeader: (header: Header) => void,
  onRow: (header: Header, fields: string[], id: string, lineNo: number) => void,
): Promise<Header> {
  let header: Header | undefined;
  for await (const [line, lineNo] of readLines(file, what)) {
    if (header === undefined) {
      header = parseHeader(line, file);
      onHeader(header);
    } else if (line.trim() !== '') {
      const { fields, id } = splitRow(line, header, file, lineNo);
      onRow(header, fields, id, lineNo);
    }
  }
  if (header === undefined) throw emptyFile(file);
  return header;
}

function splitRow(line: string, header: Header, file: string, lineNo: number): { fields: string[]; id: string } {
  const fields = line.split('\t');
  if (fields.length !== header.width) {
    throw new UserError(`${file} line ${lineNo}: expected ${header.width} tab-separated fields as in the header, got ${fields.length}`);
  }
  const id = fields[header.idColumn]!.trim();
  if (id === '') throw new UserError(`${file} line ${lineNo}: empty id`);
  return { fields, id };
}

function fieldError(file: string, lineNo: number, column: number, name: string, problem: string): UserError {
  return new UserError(`${file} line ${lineNo}, column ${column + 1} ('${name}'): ${problem}`);
}

function parseNumber(text: string, file: string, lineNo: number, column: number, name: string): number {
  const v = NUMBER.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(v)) throw fieldError(file, lineNo, column, name, `expected a finite number, got '${text}'`);
  return v;
}

function named(ids: string[], total: number): string {
  const shown = ids.slice(0, NAMED_IDS).map((id) => `'${id}'`).join(', ');
  return total > NAMED_IDS ? `${shown} and ${total - NAMED_IDS} more` : shown;
}

/**
 * Reads both files, matches rows by id and evaluates every task. All input problems are
 * UserErrors naming the file (and line and column, for a bad value).
 */
export async function evaluateFiles(predFile: string, labelsFile: string): Promise<EvaluateResult> {
  // Labels: their row order and task order are the result's.
  let numTasks = 0;
  const rowOf = new Map<string, number>();
  const lineOf: number[] = [];
  const ids: string[] = [];
  let labels = new Uint8Array(0);
  const lh = await readRows(
    labelsFile,
    'labels',
    (header) => {
      numTasks = header.taskNames.length;
      labels = new Uint8Array(1024 * numTasks);
    },
    (header, fields, id, lineNo) => {
      const previous = rowOf.get(id);
      if (previous !== undefined) throw new UserError(`${labelsFile} line ${lineNo}: id '${id}' already on line ${lineOf[previous]}`);
      const row = ids.length;
      rowOf.set(id, row);
      ids.push(id);
      lineOf.push(lineNo);
      if ((row + 1) * numTasks > labels.length) {
        const grown = new Uint8Array(labels.length * 2);
        grown.set(labels);
        labels = grown;
      }
      for (let t = 0; t < numTasks; t++) {
        const c = header.taskColumns[t]!;
        const text = fields[c]!;
        const v = parseNumber(text, labelsFile, lineNo, c, header.taskNames[t]!);
        if (v !== 0 && v !== 1) throw fieldError(labelsFile, lineNo, c, header.taskNames[t]!, `labels must be 0 or 1, got '${text.trim()}'`);
        labels[row * numTasks + t] = v;
      }
    },
  );
  const n = ids.length;
  if (n === 0) throw new UserError(`${labelsFile}: no data rows after the header`);
  const labelTask = new Map(lh.taskNames.map((name, t) => [name, t]));

  // Predictions: rows matched to label rows by id, columns to tasks by name.
  const predColumn = new Array<number>(numTasks);
  const scores = new Float64Array(n * numTasks);
  const predLineOf = new Int32Array(n);
  const extra: string[] = [];
  let extraCount = 0;
  await readRows(
    predFile,
    'predictions',
    (header) => {
      checkSameTasks(header.taskNames, lh.taskNames, predFile, labelsFile);
      for (const [j, name] of header.taskNames.entries()) predColumn[labelTask.get(name)!] = header.taskColumns[j]!;
    },
    (_header, fields, id, lineNo) => {
      const row = rowOf.get(id);
      if (row === undefined) {
        if (extra.length < NAMED_IDS) extra.push(id);
        extraCount++;
        return;
      }
      if (predLineOf[row] !== 0) throw new UserError(`${predFile} line ${lineNo}: id '${id}' already on line ${predLineOf[row]}`);
      predLineOf[row] = lineNo;
      for (let t = 0; t < numTasks; t++) {
        const c = predColumn[t]!;
        scores[row * numTasks + t] = parseNumber(fields[c]!, predFile, lineNo, c, lh.taskNames[t]!);
      }
    },
  );
  const missing = ids.filter((_, row) => predLineOf[row] === 0);
  if (missing.length > 0 || extraCount > 0) {
    const problems = [];
    if (missing.length > 0) problems.push(`${count(missing.length, 'id')} in ${labelsFile} with no prediction in ${predFile}: ${named(missing, missing.length)}`);
    if (extraCount > 0) problems.push(`${count(extraCount, 'id')} in ${predFile} with no labels in ${labelsFile}: ${named(extra, extraCount)}`);
    throw UserError.of(`ids differ between ${predFile} and ${labelsFile}:`, problems);
  }

  const evaluation = evaluateTasks(labels.subarray(0, n * numTasks), scores, numTasks, lh.taskNames);
  return { tasks: evaluation.tasks, meanRocAuc: evaluation.meanRocAuc, meanPrAuc: evaluation.meanPrAuc };
}

function checkSameTasks(predTasks: string[], labelTasks: string[], predFile: string, labelsFile: string): void {
  const inLabels = new Set(labelTasks);
  const inPred = new Set(predTasks);
  const onlyPred = predTasks.filter((name) => !inLabels.has(name));
  const onlyLabels = labelTasks.filter((name) => !inPred.has(name));
  if (onlyPred.length === 0 && onlyLabels.length === 0) return;
  const parts = [];
  if (onlyPred.length > 0) parts.push(`only in ${predFile}: ${onlyPred.join(', ')}`);
  if (onlyLabels.length > 0) parts.push(`only in ${labelsFile}: ${onlyLabels.join(', ')}`);
  throw new UserError(`task columns differ between ${predFile} and ${labelsFile}: ${parts.join('; ')}`);
}

function emptyFile(file: string): UserError {
  return new UserError(`${file}: empty file; expected a header line with an 'id' column and one column per task`);
}

function count(k: number, noun: string): string {
  return `${k} ${noun}${k === 1 ? '' : 's'}`;
}

function fmt(v: number | null): string {
  return v === null ? '-' : v.toFixed(4);
}

/** The human-readable table: one line per task, then the means. */
export function formatTable(result: EvaluateResult): string {
  const width = Math.max(4, ...result.tasks.map((t) => t.task.length));
  const row = (task: string, roc: string, pr: string, pos: string, neg: string, note = '') =>
    `${task.padEnd(width)}  ${roc.padStart(7)}  ${pr.padStart(7)}  ${pos.padStart(9)}  ${neg.padStart(9)}${note}`.trimEnd();
  const lines = [row('task', 'ROC AUC', 'PR AUC', 'positives', 'negatives')];
  for (const t of result.tasks) {
    lines.push(row(t.task, fmt(t.rocAuc), fmt(t.prAuc), String(t.positives), String(t.negatives), t.rocAuc === null ? '  (single class: skipped)' : ''));
  }
  const evaluated = result.tasks.filter((t) => t.rocAuc !== null).length;
  lines.push(row('mean', fmt(result.meanRocAuc), fmt(result.meanPrAuc), '', '', `  over ${evaluated} of ${result.tasks.length} tasks`));
  return lines.join('\n') + '\n';
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
