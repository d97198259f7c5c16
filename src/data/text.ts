/**
 * Byte-level line and delimited-table parsing for the streaming pass: no string per line, no
 * array per row, so multi-GB files parse at disk speed with bounded memory.
 */
import { UserError } from '../errors.js';
import { streamFile, type FileDigest, type SourceFile } from './source.js';

const NEWLINE = 10;
const CR = 13;
const QUOTE = 34;
/** A longer line is almost certainly not a text data file (or a FASTA without line breaks far beyond any seqLen). */
const MAX_LINE_BYTES = 256 << 20;

export type LineHandler = (buf: Buffer, start: number, end: number, line: number) => void;

/** Splits chunks into lines (LF or CRLF), carrying partial lines across chunk boundaries. */
export class LineSplitter {
  private carry: Buffer | undefined;
  private line = 0;

  constructor(private readonly file: SourceFile) {}

  push(chunk: Buffer, onLine: LineHandler): void {
    let pos = 0;
    if (this.carry) {
      const nl = chunk.indexOf(NEWLINE);
      if (nl < 0) {
        this.carry = Buffer.concat([this.carry, chunk]);
        if (this.carry.length > MAX_LINE_BYTES) {
          throw new UserError(`${this.file.display} line ${this.line + 1}: the line is longer than ${MAX_LINE_BYTES >> 20} MB; is this a text data file?`);
        }
        return;
      }
      const joined = Buffer.concat([this.carry, chunk.subarray(0, nl)]);
      this.carry = undefined;
      this.emit(joined, 0, joined.length, onLine);
      pos = nl + 1;
    }
    for (let nl = chunk.indexOf(NEWLINE, pos); nl >= 0; nl = chunk.indexOf(NEWLINE, pos)) {
      this.emit(chunk, pos, nl, onLine);
      pos = nl + 1;
    }
    if (pos < chunk.length) this.carry = Buffer.from(chunk.subarray(pos));
  }

  end(onLine: LineHandler): void {
    if (this.carry) this.emit(this.carry, 0, this.carry.length, onLine);
    this.carry = undefined;
  }

  private emit(buf: Buffer, start: number, end: number, onLine: LineHandler): void {
    this.line++;
    onLine(buf, start, end > start && buf[end - 1] === CR ? end - 1 : end, this.line);
  }
}

/** Streams a file line by line. */
export function readLines(file: SourceFile, onLine: LineHandler, onBytes?: (bytes: number) => void): Promise<FileDigest> {
  const splitter = new LineSplitter(file);
  return streamFile(
    file,
    async (content) => {
      for await (const chunk of content) splitter.push(chunk, onLine);
      splitter.end(onLine);
    },
    onBytes,
  );
}

export function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const b = buf[i]!;
    if (b !== 32 && b !== 9) return false;
  }
  return true;
}

export interface TableHandlers {
  /** Called once with the header's column names (trimmed, quotes removed). */
  header(columns: string[], line: number): void;
  /** Called per data row; field i spans buf[starts[i], ends[i]). */
  row(buf: Buffer, starts: Int32Array, ends: Int32Array, line: number): void;
}

/**
 * Streams a delimited text file with a header line. Blank lines are skipped; a row whose field
 * count differs from the header's is an error naming the line. Fields wrapped in double quotes
 * have the quotes removed (quoted delimiters are not supported: DNA tables do not need them).
 */
export async function readTable(file: SourceFile, delimiter: ',' | '\t', handlers: TableHandlers, onBytes?: (bytes: number) => void): Promise<FileDigest & { rows: number }> {
  const sep = delimiter.charCodeAt(0);
  let columns: string[] | undefined;
  let starts = new Int32Array(0);
  let ends = new Int32Array(0);
  let rows = 0;
  const digest = await readLines(
    file,
    (buf, start, end, line) => {
      if (isBlank(buf, start, end)) return;
      if (columns === undefined) {
        columns = buf
          .toString('utf8', start, end)
          .split(delimiter)
          .map((c) => c.trim().replace(/^"(.*)"$/, '$1'));
        starts = new Int32Array(columns.length);
        ends = new Int32Array(columns.length);
        handlers.header(columns, line);
        return;
      }
      let n = 0;
      let pos = start;
      for (;;) {
        let next = buf.indexOf(sep, pos);
        if (next < 0 || next > end) next = end;
        if (n < columns.length) {
          let s = pos;
          let e = next;
          if (e - s >= 2 && buf[s] === QUOTE && buf[e - 1] === QUOTE) {
            s++;
            e--;
          }
          starts[n] = s;
          ends[n] = e;
        }
        n++;
        if (next === end) break;
        pos = next + 1;
      }
      if (n !== columns.length) {
        throw new UserError(
          `${file.display} line ${line}: the row has ${n} ${delimiter === '\t' ? 'tab' : 'comma'}-separated columns but the header has ${columns.length} (${columns.join(', ')}). Every row needs exactly one value per header column.`,
        );
      }
      rows++;
      handlers.row(buf, starts, ends, line);
    },
    onBytes,
  );
  if (columns === undefined) {
    throw new UserError(`${file.display}: the file is empty. Expected a header line naming the columns, then one row per sequence.`);
  }
  if (rows === 0) throw new UserError(`${file.display}: the file has a header but no data rows.`);
  return { ...digest, rows };
}

/**
 * A 0/1 label field. Anything else is a UserError: `${where()}, column '${column}': ${problem}.`,
 * where `where` names the row (built only on error: this runs for every label of every row).
 */
export function parseLabel(buf: Buffer, start: number, end: number, where: () => string, column: string): number {
  if (end - start === 1) {
    const b = buf[start]!;
    if (b === 48) return 0;
    if (b === 49) return 1;
  }
  const raw = buf.toString('latin1', start, end).trim();
  const value = raw === '' ? NaN : Number(raw);
  if (value === 0 || value === 1) return value;
  const text = buf.toString('utf8', start, end);
  const problem =
    text.trim() === '' ? 'the label is empty; labels must be 0 or 1' : Number.isNaN(value) ? `'${text}' is not a number; labels must be 0 or 1` : `${text} is not 0 or 1; labels must be 0 or 1`;
  throw new UserError(`${where()}, column '${column}': ${problem}.`);
}
