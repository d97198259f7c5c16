/**
 * FASTA sequences plus a labels table keyed by record id. The FASTA side is a small streaming
 * parser of our own: it must name the file line and sequence position of a bad base, which the
 * npm FASTA readers (built for indexed random access) do not report. The labels table is held in
 * memory (ids and 0/1 bytes); the sequences never are.
 */
import { UserError } from '../errors.js';
import { duplicateIdError } from './ids.js';
import { codeBases, fitLength, invalidBaseError } from './sequence.js';
import type { FileDigest, SourceFile } from './source.js';
import { SplitWriter } from './store.js';
import { isBlank, parseLabel, readLines, readTable } from './text.js';
import { delimiterOf, headerColumns, type EncodeOptions, type EncodedFile } from './tsv.js';

const GT = 62;
const SEMICOLON = 59;
const MAX_CROP_BASES = 256 << 20;

/** Labels by id, with a record of which FASTA record claimed each id. */
export class LabelTable {
  readonly ids: string[] = [];
  private readonly rowOf = new Map<string, number>();
  private lines: number[] = [];
  private values = new Uint8Array(1 << 12);
  /** Per row: the FASTA file index + 1 and line that claimed it (0 = unclaimed). */
  private claimedFile: number[] = [];
  private claimedLine: number[] = [];

  private constructor(
    readonly file: SourceFile,
    readonly taskNames: string[],
  ) {}

  static async load(file: SourceFile): Promise<{ table: LabelTable; digest: FileDigest }> {
    let table!: LabelTable;
    let cols!: ReturnType<typeof headerColumns>;
    const digest = await readTable(file, delimiterOf(file), {
      header(columns, line) {
        cols = headerColumns(file, columns, line, 'id');
        if (cols.seqCol >= 0) {
          throw new UserError(`${file.display} line ${line}: a labels file has no 'sequence' column (the sequences come from the FASTA file). For a table with sequences, use "format": "tsv".`);
        }
        table = new LabelTable(file, cols.taskNames);
      },
      row(buf, starts, ends, line) {
        const id = buf.toString('utf8', starts[cols.idCol], ends[cols.idCol]).trim();
        if (id === '') throw new UserError(`${file.display} line ${line}: the id is empty.`);
        const previous = table.rowOf.get(id);
        if (previous !== undefined) throw duplicateIdError(file, id, table.lines[previous]!, line);
        const row = table.ids.length;
        const numTasks = cols.taskCols.length;
        if ((row + 1) * numTasks > table.values.length) {
          // At least one whole row: with more tasks than the table holds, one doubling is not enough.
          const grown = new Uint8Array(Math.max(table.values.length * 2, (row + 1) * numTasks));
          grown.set(table.values);
          table.values = grown;
        }
        const where = () => `${file.display} line ${line} (id '${id}')`;
        cols.taskCols.forEach((c, t) => {
          table.values[row * numTasks + t] = parseLabel(buf, starts[c]!, ends[c]!, where, cols.taskNames[t]!);
        });
        table.ids.push(id);
        table.rowOf.set(id, row);
        table.lines.push(line);
        table.claimedFile.push(0);
        table.claimedLine.push(0);
      },
    });
    return { table, digest };
  }

  /** The row of a FASTA record's labels; each id may be claimed once. */
  claim(id: string, where: string, fastaFiles: SourceFile[], fileIndex: number, line: number): number {
    const row = this.rowOf.get(id);
    if (row === undefined) {
      throw new UserError(`${where}: no labels for this id in ${this.file.display}. Every FASTA record needs a row with its id in the labels file.`);
    }
    if (this.claimedFile[row] !== 0) {
      const first = fastaFiles[this.claimedFile[row]! - 1]!;
      throw new UserError(`${where}: the id '${id}' appears twice among the FASTA records (first at ${first.display} line ${this.claimedLine[row]}). Ids must be unique.`);
    }
    this.claimedFile[row] = fileIndex + 1;
    this.claimedLine[row] = line;
    return row;
  }

  copyLabels(row: number, into: Uint8Array, offset: number): void {
    const n = this.taskNames.length;
    into.set(this.values.subarray(row * n, (row + 1) * n), offset);
  }

  /** After every FASTA file: labels whose id no record had are an error. */
  checkAllClaimed(fastaFiles: SourceFile[]): void {
    const unclaimed = this.claimedFile.flatMap((f, row) => (f === 0 ? [row] : []));
    if (unclaimed.length === 0) return;
    const row = unclaimed[0]!;
    const more =
      unclaimed.length > 1
        ? ` (${unclaimed.length} ids in total have no record, e.g. ${unclaimed
            .slice(1, 4)
            .map((r) => `'${this.ids[r]}'`)
            .join(', ')})`
        : '';
    throw new UserError(
      `${this.file.display} line ${this.lines[row]}: the id '${this.ids[row]}' has labels but no record in ${fastaFiles.map((f) => f.display).join(', ')}${more}. Remove the row or add the sequence.`,
    );
  }
}

/** One FASTA record as readFastaRecords hands it over. */
export interface FastaRecord {
  id: string;
  /** Line of its '>' header. */
  line: number;
  /** 1-based record number in the file. */
  number: number;
  /** How messages name the record: "file record n ('id', line l)". */
  name: string;
  /** Base codes; only the first min(length, kept) are stored (see readFastaRecords). */
  codes: Uint8Array;
  /** Number of bases in the record. */
  length: number;
}

/**
 * One streaming pass over a FASTA file: every base is validated, and each record is handed to
 * `onRecord` (synchronously; its codes buffer is reused for the next record) for fitLength.
 */
export async function readFastaRecords(file: SourceFile, opts: EncodeOptions, onRecord: (record: FastaRecord) => void): Promise<FileDigest> {
  const { seqLen, lengthPolicy } = opts;
  let seq = new Uint8Array(Math.max(1 << 16, seqLen));
  let scratch = new Uint8Array(1 << 12);
  const scratchFor = (n: number) => (scratch.length >= n ? scratch : (scratch = new Uint8Array(n)));
  let length = 0;
  let record: { id: string; line: number; number: number } | undefined;
  let records = 0;
  let sawContent = false;
  const recordName = (r: { id: string; line: number; number: number }) => `${file.display} record ${r.number} ('${r.id}', line ${r.line})`;

  const finish = () => {
    if (record) onRecord({ ...record, name: recordName(record), codes: seq, length });
  };

  const digest = await readLines(
    file,
    (buf, start, end, line) => {
      if (isBlank(buf, start, end)) return;
      sawContent = true;
      const first = buf[start];
      if (first === GT) {
        finish();
        const header = buf.toString('utf8', start + 1, end).trim();
        const id = header.split(/\s/, 1)[0] ?? '';
        records++;
        if (id === '') throw new UserError(`${file.display} line ${line}: record ${records} has no id after '>'.`);
        record = { id, line, number: records };
        length = 0;
        return;
      }
      if (first === SEMICOLON) return;
      if (!record) {
        throw new UserError(`${file.display} line ${line}: sequence data before the first '>' header line. A FASTA file starts each record with '>id'.`);
      }
      while (end > start && (buf[end - 1] === 32 || buf[end - 1] === 9)) end--;
      const n = end - start;
      // Bases past what the length policy can use are checked but not kept: a whole chromosome
      // under the 'error' policy costs no memory; under 'center-crop' it is kept up to a limit.
      const keep = lengthPolicy === 'center-crop' ? MAX_CROP_BASES : seqLen;
      if (length + n > keep && lengthPolicy === 'center-crop') {
        throw new UserError(`${recordName(record)}: longer than ${MAX_CROP_BASES >> 20} Mb; cut the sequences to windows around the regions of interest first.`);
      }
      let into: Uint8Array;
      let at = 0;
      if (length + n > keep) {
        into = scratchFor(n);
      } else {
        if (length + n > seq.length) {
          const grown = new Uint8Array(Math.max(seq.length * 2, length + n));
          grown.set(seq.subarray(0, length));
          seq = grown;
        }
        into = seq;
        at = length;
      }
      const bad = codeBases(buf, start, end, into, at);
      if (bad >= 0) throw invalidBaseError(`${file.display} line ${line} (record ${record.number}, '${record.id}')`, length + bad + 1, buf[start + bad]!);
      length += n;
    },
    opts.onBytes,
  );
  finish();
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by the line callback above
  if (!sawContent) throw new UserError(`${file.display}: the file is empty. Expected FASTA records: a '>id' line followed by sequence lines.`);
  return digest;
}

/** One streaming pass over a FASTA file: every record is validated, labelled and encoded into `out`. */
export async function encodeFastaFile(file: SourceFile, labels: LabelTable, fastaFiles: SourceFile[], out: string, opts: EncodeOptions): Promise<EncodedFile> {
  const { seqLen, lengthPolicy } = opts;
  const fileIndex = fastaFiles.indexOf(file);
  const writer = new SplitWriter(out, seqLen, labels.taskNames.length);
  try {
    const digest = await readFastaRecords(file, opts, (r) => {
      const row = labels.claim(r.id, r.name, fastaFiles, fileIndex, r.line);
      const off = writer.begin();
      fitLength(r.codes, r.length, seqLen, lengthPolicy, writer.buf, off, () => r.name);
      labels.copyLabels(row, writer.buf, off + seqLen);
      writer.commit();
    });
    return { taskNames: labels.taskNames, count: writer.count, digest };
  } finally {
    writer.close();
  }
}
