/**
 * `sweep evaluate`'s logic: score a predictions TSV against a labels TSV, rows matched by id and
 * columns by task name. The files stream through src/data's table reader (gzip, CRLF, BOM-free
 * headers, field counts checked there); this module adds what is particular to evaluation.
 * Every input problem is a UserError naming the file (and line and column, for a bad value).
 */
import { UserError } from '../errors.js';
import { sourceFile, type SourceFile } from '../data/source.js';
import { readTable } from '../data/text.js';
import { evaluateTasks, type TaskMetrics } from './evaluate.js';

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
}

function parseHeader(names: string[], file: SourceFile, line: number): Header {
  const seen = new Set<string>();
  for (const [i, name] of names.entries()) {
    if (name === '') throw new UserError(`${file.display} line ${line}: column ${i + 1} has an empty name`);
    if (seen.has(name)) throw new UserError(`${file.display} line ${line}: duplicate column '${name}'`);
    seen.add(name);
  }
  const idColumn = names.indexOf('id');
  if (idColumn < 0) throw new UserError(`${file.display} line ${line}: no 'id' column in the header (columns: ${names.join(', ')})`);
  const taskColumns = names.map((_, i) => i).filter((i) => i !== idColumn);
  if (taskColumns.length === 0) throw new UserError(`${file.display} line ${line}: no task columns besides 'id'`);
  return { idColumn, taskColumns, taskNames: taskColumns.map((i) => names[i]!) };
}

/**
 * Streams a TSV: `onHeader` with its parsed header, then `onRow` with a reader of each data row's
 * fields and the row's id.
 */
async function readRows(file: SourceFile, onHeader: (header: Header) => void, onRow: (header: Header, field: (column: number) => string, id: string, line: number) => void): Promise<Header> {
  let header: Header | undefined;
  await readTable(file, '\t', {
    header(columns, line) {
      header = parseHeader(columns, file, line);
      onHeader(header);
    },
    row(buf, starts, ends, line) {
      const field = (c: number) => buf.toString('utf8', starts[c], ends[c]);
      const id = field(header!.idColumn).trim();
      if (id === '') throw new UserError(`${file.display} line ${line}: empty id`);
      onRow(header!, field, id, line);
    },
  });
  return header!;
}

function fieldError(file: SourceFile, line: number, column: number, name: string, problem: string): UserError {
  return new UserError(`${file.display} line ${line}, column ${column + 1} ('${name}'): ${problem}`);
}

function parseNumber(text: string, file: SourceFile, line: number, column: number, name: string): number {
  const v = NUMBER.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(v)) throw fieldError(file, line, column, name, `expected a finite number, got '${text}'`);
  return v;
}

function named(ids: string[], total: number): string {
  const shown = ids
    .slice(0, NAMED_IDS)
    .map((id) => `'${id}'`)
    .join(', ');
  return total > NAMED_IDS ? `${shown} and ${total - NAMED_IDS} more` : shown;
}

function count(k: number, noun: string): string {
  return `${k} ${noun}${k === 1 ? '' : 's'}`;
}

/** Reads both files (paths relative to the working directory), matches rows by id and evaluates every task. */
export async function evaluateFiles(predPath: string, labelsPath: string): Promise<EvaluateResult> {
  const labelsFile = sourceFile(labelsPath, process.cwd());
  const predFile = sourceFile(predPath, process.cwd());
  // Labels: their row order and task order are the result's.
  let numTasks = 0;
  const rowOf = new Map<string, number>();
  const lineOf: number[] = [];
  const ids: string[] = [];
  let labels = new Uint8Array(0);
  const lh = await readRows(
    labelsFile,
    (header) => {
      numTasks = header.taskNames.length;
      labels = new Uint8Array(1024 * numTasks);
    },
    (header, field, id, line) => {
      const previous = rowOf.get(id);
      if (previous !== undefined) throw new UserError(`${labelsFile.display} line ${line}: id '${id}' already on line ${lineOf[previous]}`);
      const row = ids.length;
      rowOf.set(id, row);
      ids.push(id);
      lineOf.push(line);
      if ((row + 1) * numTasks > labels.length) {
        const grown = new Uint8Array(labels.length * 2);
        grown.set(labels);
        labels = grown;
      }
      for (let t = 0; t < numTasks; t++) {
        const c = header.taskColumns[t]!;
        const text = field(c);
        const v = parseNumber(text, labelsFile, line, c, header.taskNames[t]!);
        if (v !== 0 && v !== 1) throw fieldError(labelsFile, line, c, header.taskNames[t]!, `labels must be 0 or 1, got '${text.trim()}'`);
        labels[row * numTasks + t] = v;
      }
    },
  );
  const n = ids.length;
  const labelTask = new Map(lh.taskNames.map((name, t) => [name, t]));

  // Predictions: rows matched to label rows by id, columns to tasks by name.
  const predColumn = new Array<number>(numTasks);
  const scores = new Float64Array(n * numTasks);
  const predLineOf = new Int32Array(n);
  const extra: string[] = [];
  let extraCount = 0;
  await readRows(
    predFile,
    (header) => {
      checkSameTasks(header.taskNames, lh.taskNames, predFile, labelsFile);
      for (const [j, name] of header.taskNames.entries()) predColumn[labelTask.get(name)!] = header.taskColumns[j]!;
    },
    (_header, field, id, line) => {
      const row = rowOf.get(id);
      if (row === undefined) {
        if (extra.length < NAMED_IDS) extra.push(id);
        extraCount++;
        return;
      }
      if (predLineOf[row] !== 0) throw new UserError(`${predFile.display} line ${line}: id '${id}' already on line ${predLineOf[row]}`);
      predLineOf[row] = line;
      for (let t = 0; t < numTasks; t++) {
        const c = predColumn[t]!;
        scores[row * numTasks + t] = parseNumber(field(c), predFile, line, c, lh.taskNames[t]!);
      }
    },
  );
  const missing = ids.filter((_, row) => predLineOf[row] === 0);
  if (missing.length > 0 || extraCount > 0) {
    const problems = [];
    if (missing.length > 0) problems.push(`${count(missing.length, 'id')} in ${labelsFile.display} with no prediction in ${predFile.display}: ${named(missing, missing.length)}`);
    if (extraCount > 0) problems.push(`${count(extraCount, 'id')} in ${predFile.display} with no labels in ${labelsFile.display}: ${named(extra, extraCount)}`);
    throw UserError.of(`ids differ between ${predFile.display} and ${labelsFile.display}:`, problems);
  }

  const evaluation = evaluateTasks(labels.subarray(0, n * numTasks), scores, numTasks, lh.taskNames);
  return { tasks: evaluation.tasks, meanRocAuc: evaluation.meanRocAuc, meanPrAuc: evaluation.meanPrAuc };
}

function checkSameTasks(predTasks: string[], labelTasks: string[], predFile: SourceFile, labelsFile: SourceFile): void {
  const inLabels = new Set(labelTasks);
  const inPred = new Set(predTasks);
  const onlyPred = predTasks.filter((name) => !inLabels.has(name));
  const onlyLabels = labelTasks.filter((name) => !inPred.has(name));
  if (onlyPred.length === 0 && onlyLabels.length === 0) return;
  const parts = [];
  if (onlyPred.length > 0) parts.push(`only in ${predFile.display}: ${onlyPred.join(', ')}`);
  if (onlyLabels.length > 0) parts.push(`only in ${labelsFile.display}: ${onlyLabels.join(', ')}`);
  throw new UserError(`task columns differ between ${predFile.display} and ${labelsFile.display}: ${parts.join('; ')}`);
}
