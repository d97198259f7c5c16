/**
 * The one place that reads reference genomes: FASTA + .fai, bgzipped FASTA + .fai + .gzi, and UCSC
 * .2bit, by random access through JBrowse's readers (never loaded whole). A plain FASTA without
 * its .fai gets one built beside it, byte-identical to `samtools faidx`.
 */
import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import { BgzipIndexedFasta, IndexedFasta } from '@gmod/indexedfasta';
import { TwoBitFile } from '@gmod/twobit';
import { LocalFile } from 'generic-filehandle2';
import { writeFileAtomically } from '../atomic-file.js';
import { UserError } from '../errors.js';
import { isGzip, readHead } from '../input-file.js';

export interface ReferenceGenome {
  readonly path: string;
  /** Chromosome name -> length, in the file's order. */
  readonly chromosomes: ReadonlyMap<string, number>;
  /** Bases [start, end) of `chrom`, 0-based half-open, exactly as stored (case kept, as `bedtools getfasta` prints them). Throws UserError naming the file for an unknown chromosome or a range past its end. */
  fetch(chrom: string, start: number, end: number): Promise<string>;
  close(): Promise<void>;
}

type Reader = { getSequence(name: string, start: number, end: number): Promise<string | undefined> };

export async function openReferenceGenome(file: string): Promise<ReferenceGenome> {
  const head = readHead({ abs: path.resolve(file), display: file }, 4, 'a genome file (.fa, .fa.gz or .2bit)');
  let reader: Reader;
  let chromosomes: Map<string, number>;
  if (isTwoBit(head)) {
    const twoBit = new TwoBitFile({ filehandle: new LocalFile(file) });
    const sizes = await readerCall(file, () => twoBit.getSequenceSizes());
    chromosomes = new Map(Object.entries(sizes));
    reader = twoBit;
  } else {
    const bgzipped = isGzip(head);
    const fai = `${file}.fai`;
    if (bgzipped) {
      if (!existsSync(fai)) throw new UserError(`${file}: this bgzipped FASTA has no index ${fai}. Build it with: samtools faidx ${file}`);
      if (!existsSync(`${file}.gzi`)) {
        throw new UserError(`${file}: this bgzipped FASTA has no ${file}.gzi (the bgzip block index). Build it with: samtools faidx ${file} (or bgzip -r ${file})`);
      }
    } else if (!existsSync(fai)) {
      writeFastaIndex(file, await buildFastaIndex(file));
    }
    const fasta = bgzipped ? new BgzipIndexedFasta({ path: file, faiPath: fai, gziPath: `${file}.gzi` }) : new IndexedFasta({ path: file, faiPath: fai });
    const names = await readerCall(file, () => fasta.getSequenceNames());
    const sizes = await fasta.getSequenceSizes();
    chromosomes = new Map(names.map((name) => [name, sizes[name]!]));
    reader = fasta;
  }
  return {
    path: file,
    chromosomes,
    async fetch(chrom, start, end) {
      const length = chromosomes.get(chrom);
      if (length === undefined) throw unknownChromosomeError(file, chrom, chromosomes);
      if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > length) {
        throw new UserError(`${file}: cannot read ${chrom}:${start}-${end}: ${chrom} is ${length} bp long (0-based half-open ranges within [0, ${length}]).`);
      }
      if (start === end) return '';
      const bases = await readerCall(file, () => reader.getSequence(chrom, start, end));
      if (bases?.length !== end - start)
        throw new UserError(`${file}: read ${bases?.length ?? 0} bases of ${chrom}:${start}-${end}, expected ${end - start}: the file is shorter than its index says (rebuild the index).`);
      return bases;
    },
    async close() {},
  };
}

/** An unknown name, with a few known ones and, when only a `chr` prefix differs, how to fix it. */
export function unknownChromosomeError(file: string, chrom: string, chromosomes: ReadonlyMap<string, number>, where = ''): UserError {
  const names = [...chromosomes.keys()];
  const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? `, ... (${names.length} in all)` : '');
  const alias = chrom.startsWith('chr') ? chrom.slice(3) : `chr${chrom}`;
  const hint = chromosomes.has(alias)
    ? ` The genome calls it '${alias}': the names differ by a 'chr' prefix (UCSC names chr1, Ensembl/NCBI names 1). Rename the chromosomes in one of the files so both use the same style.`
    : '';
  return new UserError(`${where || file}: unknown chromosome '${chrom}': ${file} has ${shown}.${hint}`);
}

/** The .2bit signature 0x1A412743, in either byte order. */
function isTwoBit(head: Buffer): boolean {
  return head.length === 4 && (head.readUInt32LE(0) === 0x1a412743 || head.readUInt32BE(0) === 0x1a412743);
}

/** The readers throw plain Errors on damaged files; they become UserErrors naming the file. */
async function readerCall<T>(file: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${file}: cannot read the genome (${(err as Error).message}). Check the file and its index (.fai/.gzi).`);
  }
}

/**
 * A `samtools faidx` index of a plain FASTA, in one streaming pass: per sequence its name (the
 * header up to the first white space), length, byte offset of the first base, bases per line and
 * bytes per line (newline included). Lines of one sequence must share one length, as samtools requires.
 */
export async function buildFastaIndex(file: string): Promise<string> {
  const lines: string[] = [];
  const seen = new Set<string>();
  let name: string | undefined;
  let length = 0;
  let offset = 0;
  let lineBases = 0;
  let lineBytes = 0;
  /** 0: in sequence lines of the standard length, 1: right after the header, 2: after a shorter line, 3: after a blank line following it. */
  let state = 1;
  let lineNumber = 0;
  let position = 0;
  // The line in progress: in a header, its name so far; in a sequence line, its bytes and bases.
  let inHeader = false;
  let headerName = '';
  let nameDone = false;
  let atLineStart = true;
  let bytes = 0;
  let bases = 0;
  const finish = () => {
    // samtools leaves empty sequences out of the index.
    if (name !== undefined && length > 0) lines.push(`${name}\t${length}\t${offset}\t${lineBases}\t${lineBytes}\n`);
  };
  const endSequenceLine = () => {
    lineNumber++;
    bytes++;
    if (state === 3 && bases > 0)
      throw new UserError(
        `${file} line ${lineNumber}: sequence '${name}' has a line of another length before its last line; every line but the last must be equally long (as samtools faidx requires). Reformat the FASTA (e.g. samtools faidx --length 60 or seqkit seq -w 60).`,
      );
    length += bases;
    if (state === 1) {
      lineBytes = bytes;
      lineBases = bases;
      state = 0;
    } else if (state === 0 && (bytes !== lineBytes || bases !== lineBases)) {
      state = 2;
    }
  };
  let stream;
  try {
    stream = createReadStream(file, { highWaterMark: 1 << 20 });
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      for (let i = 0; i < chunk.length; i++, position++) {
        const c = chunk[i]!;
        if (inHeader) {
          if (c === 0x0a) {
            inHeader = false;
            atLineStart = true;
            lineNumber++;
            if (!headerName) throw new UserError(`${file} line ${lineNumber}: a FASTA header without a name.`);
            if (seen.has(headerName)) throw new UserError(`${file} line ${lineNumber}: the sequence name '${headerName}' appears twice; names must be unique.`);
            seen.add(headerName);
            name = headerName;
            offset = position + 1;
            length = lineBases = lineBytes = 0;
            state = 1;
          } else if (!nameDone) {
            // The name runs from the first non-blank character to the next white space, as samtools reads it.
            if (c > 0x20) headerName += String.fromCharCode(c);
            else if (headerName) nameDone = true;
          }
          continue;
        }
        if (atLineStart) {
          if (c === 0x0a) {
            lineNumber++;
            if (state === 1) offset = position + 1;
            else if (state === 0) state = 2;
            continue;
          }
          if (c === 0x3e) {
            finish();
            inHeader = true;
            headerName = '';
            nameDone = false;
            continue;
          }
          if (name === undefined) throw new UserError(`${file} line ${lineNumber + 1}: sequence before the first '>' header; this is not a FASTA file.`);
          if (state === 2) state = 3;
          atLineStart = false;
          bytes = bases = 0;
        }
        if (c === 0x0a) {
          endSequenceLine();
          atLineStart = true;
        } else {
          bytes++;
          if (c > 0x20 && c < 0x7f) bases++;
        }
      }
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${file}: cannot read the FASTA to index it (${(err as Error).message}).`);
  }
  if (!atLineStart) endSequenceLine();
  finish();
  if (lines.length === 0) throw new UserError(`${file}: no FASTA records (lines starting with '>'); expected a reference genome.`);
  return lines.join('');
}

/** Writes the .fai beside the FASTA; a folder that cannot be written is a UserError saying how to index by hand. */
function writeFastaIndex(file: string, index: string): void {
  try {
    writeFileAtomically(`${file}.fai`, [Buffer.from(index)]);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new UserError(
        `${file}: the genome has no index ${path.basename(file)}.fai and its folder ${path.dirname(file)} is not writable to build one. Index it where it can be written: samtools faidx ${file}`,
      );
    }
    throw err;
  }
}
