/**
 * Unlabelled sequence input for predict and motifs, in every format training reads: TSV/CSV (a
 * `sequence` column, an optional `id` column; other columns are ignored), FASTA, and DeepSEA
 * .mat/.h5. One streaming pass with the data layer's readers and checks (alphabet, length
 * policy); records are handed over one at a time, so memory stays bounded whatever the file size.
 */
import { UserError } from '../errors.js';
import { openDeepSea } from '../data/deepsea.js';
import { readFastaRecords } from '../data/fasta.js';
import { codeBases, fitLength, invalidBaseError } from '../data/sequence.js';
import { fileSize, sourceFile, type SourceFile } from '../data/source.js';
import { inferFormat, type LengthPolicy } from '../data/dataset-spec.js';
import { readTable } from '../data/text.js';
import { delimiterOf } from '../data/tsv.js';

export type SequenceFormat = 'tsv' | 'csv' | 'fasta' | 'deepsea';
export const sequenceFormats: readonly SequenceFormat[] = ['tsv', 'csv', 'fasta', 'deepsea'];

export interface SequenceInput {
  file: SourceFile;
  format: SequenceFormat;
}

export interface ReadOptions {
  seqLen: number;
  lengthPolicy: LengthPolicy;
  /** Bytes of the file read so far (progress). */
  onBytes?: (bytes: number) => void;
}

/**
 * Called once per record, in file order, with its id and its seqLen base codes (the buffer is
 * reused: copy what you keep). Synchronous: the reader waits for it, which bounds memory.
 */
export type RecordHandler = (id: string, codes: Uint8Array) => void;

/** The input file and its format (from `format`, else the extension); a UserError naming the flag or the file otherwise. */
export function sequenceInput(file: string, format: string | undefined, what = 'INPUT'): SequenceInput {
  const source = sourceFile(file, process.cwd());
  let chosen: SequenceFormat | undefined;
  if (format !== undefined) {
    if (!(sequenceFormats as readonly string[]).includes(format)) throw new UserError(`--format: expected one of ${sequenceFormats.join(', ')}, got '${format}'`);
    chosen = format as SequenceFormat;
  } else {
    chosen = inferFormat(file);
    if (chosen === undefined) {
      throw new UserError(`${what} ${source.display}: cannot tell the format from the extension (expected .tsv, .csv, .fa, .fasta, .mat or .h5, optionally .gz); name it with --format.`);
    }
  }
  fileSize(source);
  return { file: source, format: chosen };
}

/** Streams every record of the input to `onRecord`; returns the number of records. An input without any is a UserError. */
export async function readSequences(input: SequenceInput, opts: ReadOptions, onRecord: RecordHandler): Promise<number> {
  const count =
    input.format === 'fasta'
      ? await readFasta(input.file, opts, onRecord)
      : input.format === 'deepsea'
        ? await readDeepSea(input.file, opts, onRecord)
        : await readDelimited(input.file, opts, onRecord);
  if (count === 0) throw new UserError(`${input.file.display}: no sequences.`);
  return count;
}

async function readFasta(file: SourceFile, opts: ReadOptions, onRecord: RecordHandler): Promise<number> {
  const slot = new Uint8Array(opts.seqLen);
  let count = 0;
  await readFastaRecords(file, opts, (r) => {
    fitLength(r.codes, r.length, opts.seqLen, opts.lengthPolicy, slot, 0, () => r.name);
    onRecord(r.id, slot);
    count++;
  });
  return count;
}

async function readDelimited(file: SourceFile, opts: ReadOptions, onRecord: RecordHandler): Promise<number> {
  const { seqLen, lengthPolicy } = opts;
  const slot = new Uint8Array(seqLen);
  let scratch = new Uint8Array(seqLen);
  let seqCol = -1;
  let idCol = -1;
  let count = 0;
  await readTable(
    file,
    delimiterOf(file),
    {
      header(columns, line) {
        const lower = columns.map((c) => c.toLowerCase());
        seqCol = lower.indexOf('sequence');
        idCol = lower.indexOf('id');
        if (seqCol < 0) {
          throw new UserError(
            `${file.display} line ${line}: no 'sequence' column in the header (found ${columns.map((c) => `'${c}'`).join(', ')}). Expected a 'sequence' column and an optional 'id' column.`,
          );
        }
      },
      row(buf, starts, ends, line) {
        count++;
        const id = idCol >= 0 ? buf.toString('utf8', starts[idCol], ends[idCol]).trim() : String(count);
        const where = () => `${file.display} line ${line}${idCol >= 0 ? ` (id '${id}')` : ''}`;
        if (id === '') throw new UserError(`${where()}: the id is empty.`);
        const s = starts[seqCol]!;
        const len = ends[seqCol]! - s;
        if (scratch.length < len) scratch = new Uint8Array(len);
        const bad = codeBases(buf, s, s + len, scratch, 0);
        if (bad >= 0) throw invalidBaseError(where(), bad + 1, buf[s + bad]!);
        fitLength(scratch, len, seqLen, lengthPolicy, slot, 0, where);
        onRecord(id, slot);
      },
    },
    opts.onBytes,
  );
  return count;
}

/** DeepSEA arrays have no ids: records are numbered from 1 in file order. */
async function readDeepSea(file: SourceFile, opts: ReadOptions, onRecord: RecordHandler): Promise<number> {
  const arrays = await openDeepSea(file, 'test', { requireLabels: false });
  try {
    const { count, length } = arrays;
    const window = Math.max(1, arrays.windowFor(64 << 20));
    const codes = new Uint8Array(window * length);
    const slot = new Uint8Array(opts.seqLen);
    const total = fileSize(file);
    for (let n0 = 0; n0 < count; n0 += window) {
      const n1 = Math.min(count, n0 + window);
      await arrays.read(n0, n1, codes, undefined);
      for (let j = 0; j < n1 - n0; j++) {
        fitLength(codes.subarray(j * length, (j + 1) * length), length, opts.seqLen, opts.lengthPolicy, slot, 0, () => `${file.display} sequence ${n0 + j + 1}`);
        onRecord(String(n0 + j + 1), slot);
      }
      opts.onBytes?.(Math.round((total * n1) / count));
    }
    return count;
  } finally {
    arrays.close();
  }
}
