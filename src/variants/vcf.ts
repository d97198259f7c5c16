/**
 * Streaming VCF input: plain or bgzipped (bgzip is multi-member gzip, which node's gunzip reads
 * through), one line at a time, records parsed by JBrowse's @gmod/vcf. Records are handed over
 * in file order and the reader waits for each handler, so memory stays flat whatever the size.
 */
import VCFParser from '@gmod/vcf';
import { UserError } from '../errors.js';
import { streamFile, type SourceFile } from '../data/source.js';
import { LineSplitter } from '../data/text.js';

export interface VcfRecord {
  chrom: string;
  /** 1-based position of the first REF base. */
  pos: number;
  /** The ID column as written ('.' when none). */
  id: string;
  ref: string;
  /** The ALT alleles, in order (empty for a '.' ALT). */
  alts: string[];
  /** 1-based line number in the (decompressed) file. */
  line: number;
  /** The line as read (without its line break). */
  text: string;
}

export interface VcfHandlers {
  /** Called once, before any record, with every header line ('##' lines, then the '#CHROM' line). */
  header(lines: readonly string[]): void;
  record(record: VcfRecord): void | Promise<void>;
}

const REF_BASES = /^[ACGTN]+$/i;

/** Streams `file` to `handlers`; returns the number of records. A malformed line is a UserError naming the file and line. */
export async function readVcf(file: SourceFile, handlers: VcfHandlers, onBytes?: (bytes: number) => void): Promise<number> {
  const splitter = new LineSplitter(file);
  const header: string[] = [];
  let parser: VCFParser | undefined;
  let records = 0;
  const lines: { text: string; line: number }[] = [];
  const collect = (buf: Buffer, start: number, end: number, line: number) => {
    if (end > start) lines.push({ text: buf.toString('latin1', start, end), line });
  };
  const handle = async ({ text, line }: { text: string; line: number }) => {
    if (parser === undefined) {
      if (!text.startsWith('#')) {
        throw new UserError(`${file.display} line ${line}: expected the VCF header ('##fileformat=VCFv4...' lines, then '#CHROM POS ID REF ALT QUAL FILTER INFO'), got a record before it.`);
      }
      header.push(text);
      if (text.startsWith('##')) return;
      try {
        parser = new VCFParser({ header: header.join('\n'), strict: false });
      } catch (err) {
        throw new UserError(`${file.display}: not a valid VCF header (${(err as Error).message.split('\n')[0]}).`);
      }
      handlers.header(header);
      return;
    }
    records++;
    const result = handlers.record(parseRecord(parser, file, text, line));
    if (result) await result;
  };
  await streamFile(
    file,
    async (content) => {
      for await (const chunk of content) {
        splitter.push(chunk, collect);
        for (const l of lines) await handle(l);
        lines.length = 0;
      }
      splitter.end(collect);
      for (const l of lines) await handle(l);
    },
    onBytes,
  );
  if (parser === undefined) throw new UserError(`${file.display}: no '#CHROM POS ID REF ALT QUAL FILTER INFO' header line; is this a VCF?`);
  return records;
}

function parseRecord(parser: VCFParser, file: SourceFile, text: string, line: number): VcfRecord {
  const bad = (why: string) => new UserError(`${file.display} line ${line}: ${why}.`);
  let columns = 0;
  for (let at = text.indexOf('\t'); at >= 0 && columns < 8; at = text.indexOf('\t', at + 1)) columns++;
  if (columns < 7) throw bad(`expected at least 8 tab-separated columns (CHROM POS ID REF ALT QUAL FILTER INFO), got ${columns + 1}`);
  const v = parser.parseLine(text);
  if (!v.CHROM) throw bad('the CHROM column is empty');
  if (!Number.isInteger(v.POS) || v.POS < 1) throw bad(`POS '${text.split('\t')[1]}' is not a positive integer`);
  if (!v.REF || !REF_BASES.test(v.REF)) throw bad(`REF '${v.REF ?? ''}' is not a sequence of A, C, G, T, N`);
  return { chrom: v.CHROM, pos: v.POS, id: v.ID?.join(';') ?? '.', ref: v.REF, alts: v.ALT ?? [], line, text };
}
