/** TSV/CSV datasets: a header with a `sequence` column, an optional `id` column and one 0/1 column per task. */
import { UserError } from '../errors.js';
import { IdHashes, duplicateIdError, idHash } from './ids.js';
import { codeBases, fitLength, invalidBaseError } from './sequence.js';
import type { FileDigest, SourceFile } from './source.js';
import type { LengthPolicy } from './dataset-spec.js';
import { SplitWriter } from './store.js';
import { parseLabel, readTable } from './text.js';

export interface EncodeOptions {
  seqLen: number;
  lengthPolicy: LengthPolicy;
  onBytes?: (bytes: number) => void;
}

export interface EncodedFile {
  taskNames: string[];
  count: number;
  digest: FileDigest;
}

export function delimiterOf(file: SourceFile): ',' | '\t' {
  return /\.csv(\.b?gz)?$/i.test(file.abs) ? ',' : '\t';
}

/** Column roles from a header; `required` is the column that must be there ('sequence' or 'id'). */
export function headerColumns(file: SourceFile, columns: string[], line: number, required: 'sequence' | 'id') {
  const lower = columns.map((c) => c.toLowerCase());
  const found = columns.map((c) => `'${c}'`).join(', ');
  columns.forEach((name, i) => {
    if (name === '') throw new UserError(`${file.display} line ${line}: header column ${i + 1} has no name. Every column needs a name; label columns are named after their task.`);
    const first = columns.indexOf(name);
    if (first !== i) throw new UserError(`${file.display} line ${line}: the header names column '${name}' twice (columns ${first + 1} and ${i + 1}).`);
  });
  const seqCol = lower.indexOf('sequence');
  const idCol = lower.indexOf('id');
  if (required === 'sequence' && seqCol < 0) {
    throw new UserError(
      `${file.display} line ${line}: no 'sequence' column in the header (found ${found}). Expected a column named 'sequence' holding the DNA sequences, an optional 'id' column and one 0/1 column per task.`,
    );
  }
  if (required === 'id' && idCol < 0) {
    throw new UserError(
      `${file.display} line ${line}: no 'id' column in the header (found ${found}). A FASTA labels file needs an 'id' column matching the FASTA record ids, and one 0/1 column per task.`,
    );
  }
  const taskCols = columns.map((_, i) => i).filter((i) => i !== seqCol && i !== idCol);
  if (taskCols.length === 0) {
    throw new UserError(`${file.display} line ${line}: no label columns in the header (found ${found}). Add one 0/1 column per task, named after the task.`);
  }
  return { seqCol, idCol, taskCols, taskNames: taskCols.map((i) => columns[i]!) };
}

/** Checks that a split's task columns are the train file's, in the same order. */
export function checkSameTasks(file: SourceFile, taskNames: string[], expected: { file: SourceFile; taskNames: string[] } | undefined): void {
  if (!expected || expected.taskNames.join('\t') === taskNames.join('\t')) return;
  throw new UserError(
    `${file.display}: the label columns (${taskNames.join(', ')}) differ from those of ${expected.file.display} (${expected.taskNames.join(', ')}). Every split needs the same tasks in the same order.`,
  );
}

/** One streaming pass: parse, validate and encode every row into `out`. */
export async function encodeTableFile(file: SourceFile, out: string, opts: EncodeOptions, expected?: { file: SourceFile; taskNames: string[] }): Promise<EncodedFile> {
  const delimiter = delimiterOf(file);
  const { seqLen, lengthPolicy } = opts;
  let writer: SplitWriter | undefined;
  let cols!: ReturnType<typeof headerColumns>;
  let scratch = new Uint8Array(seqLen);
  const ids = new IdHashes();
  try {
    const digest = await readTable(
      file,
      delimiter,
      {
        header(columns, line) {
          cols = headerColumns(file, columns, line, 'sequence');
          checkSameTasks(file, cols.taskNames, expected);
          writer = new SplitWriter(out, seqLen, cols.taskNames.length);
        },
        row(buf, starts, ends, line) {
          const w = writer!;
          const { seqCol, idCol, taskCols } = cols;
          const where = () => `${file.display} line ${line}${idCol >= 0 ? ` (id '${buf.toString('utf8', starts[idCol], ends[idCol])}')` : ''}`;
          const off = w.begin();
          const s = starts[seqCol]!;
          const len = ends[seqCol]! - s;
          const direct = len === seqLen;
          if (!direct && scratch.length < len) scratch = new Uint8Array(len);
          const bad = codeBases(buf, s, s + len, direct ? w.buf : scratch, direct ? off : 0);
          if (bad >= 0) throw invalidBaseError(where(), bad + 1, buf[s + bad]!);
          if (!direct) fitLength(scratch, len, seqLen, lengthPolicy, w.buf, off, where);
          for (let t = 0; t < taskCols.length; t++) {
            const c = taskCols[t]!;
            w.buf[off + seqLen + t] = parseLabel(buf, starts[c]!, ends[c]!, where, cols.taskNames[t]!);
          }
          if (idCol >= 0) ids.add(buf, starts[idCol]!, ends[idCol]!);
          w.commit();
        },
      },
      opts.onBytes,
    );
    const repeated = ids.repeated();
    if (repeated.size > 0) await throwIfDuplicateIds(file, delimiter, cols.idCol, repeated);
    return { taskNames: cols.taskNames, count: writer!.count, digest };
  } finally {
    writer?.close();
  }
}

/** Second read, only when hashes repeat: finds the real duplicate (if any) and names its lines. */
async function throwIfDuplicateIds(file: SourceFile, delimiter: ',' | '\t', idCol: number, candidates: Set<number>): Promise<void> {
  const firstLine = new Map<string, number>();
  await readTable(file, delimiter, {
    header() {},
    row(buf, starts, ends, line) {
      if (!candidates.has(idHash(buf, starts[idCol]!, ends[idCol]!))) return;
      const id = buf.toString('utf8', starts[idCol], ends[idCol]);
      const first = firstLine.get(id);
      if (first !== undefined) throw duplicateIdError(file, id, first, line);
      firstLine.set(id, line);
    },
  });
}
