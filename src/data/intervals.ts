/**
 * BED-like interval files (peaks as BED or narrowPeak, blacklists), read streaming (.gz works) and
 * merged per chromosome as `bedtools merge` does: overlapping and book-ended intervals become one.
 */
import { UserError } from '../errors.js';
import { unknownChromosomeError } from '../genome/reference.js';
import type { FileDigest, SourceFile } from './source.js';
import { readLines } from './text.js';

/** Sorted, disjoint, non-touching intervals of one chromosome, 0-based half-open. */
export interface MergedIntervals {
  starts: Int32Array;
  ends: Int32Array;
}

export interface IntervalFile {
  byChromosome: Map<string, MergedIntervals>;
  /** Intervals read, before merging. */
  count: number;
  digest: FileDigest;
}

const TAB = 9;
const SPACE = 32;

/**
 * Reads the first three columns of every line (chrom, start, end); `#`, `track` and `browser`
 * lines and blank lines are skipped. A coordinate that is not a non-negative integer, end < start,
 * an unknown chromosome or an end past the chromosome's end is a UserError naming the file and line.
 */
export async function readIntervals(file: SourceFile, chromosomes: ReadonlyMap<string, number>, genomeName: string, onBytes?: (bytes: number) => void): Promise<IntervalFile> {
  const raw = new Map<string, number[]>();
  let count = 0;
  const digest = await readLines(
    file,
    (buf, start, end, line) => {
      if (start === end || buf[start] === 0x23 || startsWith(buf, start, end, 'track') || startsWith(buf, start, end, 'browser')) return;
      const fields: string[] = [];
      let from = start;
      for (let i = start; i <= end && fields.length < 3; i++) {
        if (i === end || buf[i] === TAB || buf[i] === SPACE) {
          if (i > from) fields.push(buf.toString('latin1', from, i));
          from = i + 1;
        }
      }
      const where = `${file.display} line ${line}`;
      if (fields.length < 3) throw new UserError(`${where}: expected BED columns chrom, start, end (tab-separated), got ${fields.length} column${fields.length === 1 ? '' : 's'}.`);
      const [chrom, startText, endText] = fields as [string, string, string];
      const s = coordinate(startText, 'start', where);
      const e = coordinate(endText, 'end', where);
      if (e < s) throw new UserError(`${where}: end ${e} is before start ${s}; BED intervals are 0-based half-open with start <= end.`);
      const length = chromosomes.get(chrom);
      if (length === undefined) throw unknownChromosomeError(genomeName, chrom, chromosomes, where);
      if (e > length) throw new UserError(`${where}: ${chrom}:${s}-${e} ends past the end of ${chrom} (${length} bp in ${genomeName}); is the file for another genome assembly?`);
      let list = raw.get(chrom);
      if (!list) raw.set(chrom, (list = []));
      list.push(s, e);
      count++;
    },
    onBytes,
  );
  const byChromosome = new Map<string, MergedIntervals>();
  for (const [chrom, list] of raw) byChromosome.set(chrom, merge(list));
  return { byChromosome, count, digest };
}

function startsWith(buf: Buffer, start: number, end: number, word: string): boolean {
  return end - start >= word.length && buf.toString('latin1', start, start + word.length) === word;
}

function coordinate(text: string, name: string, where: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) throw new UserError(`${where}: ${name} '${text}' is not a non-negative integer coordinate.`);
  return Number(text);
}

/** Flat [start, end, start, end, ...] pairs, in any order, merged like `bedtools merge`. */
function merge(pairs: number[]): MergedIntervals {
  const n = pairs.length / 2;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => pairs[2 * a]! - pairs[2 * b]! || pairs[2 * a + 1]! - pairs[2 * b + 1]!);
  const starts: number[] = [];
  const ends: number[] = [];
  for (const i of order) {
    const s = pairs[2 * i]!;
    const e = pairs[2 * i + 1]!;
    if (ends.length > 0 && s <= ends[ends.length - 1]!) ends[ends.length - 1] = Math.max(ends[ends.length - 1]!, e);
    else {
      starts.push(s);
      ends.push(e);
    }
  }
  return { starts: Int32Array.from(starts), ends: Int32Array.from(ends) };
}
