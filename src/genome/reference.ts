/**
 * Random access to a reference genome, never loaded whole: an uncompressed FASTA with its
 * samtools `.fai` index.
 */
import { existsSync } from 'node:fs';
import { IndexedFasta } from '@gmod/indexedfasta';
import { LocalFile } from 'generic-filehandle2';
import { UserError } from '../errors.js';

export interface ReferenceGenome {
  readonly path: string;
  /** Chromosome name -> length, in the file's order. */
  readonly chromosomes: ReadonlyMap<string, number>;
  /** Bases [start, end) of `chrom`, 0-based half-open, exactly as stored (case kept). Throws UserError naming the file for an unknown chromosome or a range past its end. */
  fetch(chrom: string, start: number, end: number): Promise<string>;
  close(): Promise<void>;
}

export async function openReferenceGenome(path: string): Promise<ReferenceGenome> {
  if (!existsSync(path)) throw new UserError(`genome ${path}: no such file.`);
  const faiPath = `${path}.fai`;
  if (!existsSync(faiPath)) throw new UserError(`genome ${path}: no index ${faiPath}; build it with 'samtools faidx ${path}'.`);
  const fasta = new IndexedFasta({ fasta: new LocalFile(path), fai: new LocalFile(faiPath) });
  try {
    const names = await fasta.getSequenceNames();
    const sizes = await fasta.getSequenceSizes();
    return openedGenome(path, fasta, new Map(names.map((n) => [n, sizes[n]!])));
  } catch (err) {
    throw new UserError(`genome ${path}: cannot read its index ${faiPath} (${(err as Error).message}); rebuild it with 'samtools faidx ${path}'.`);
  }
}

function openedGenome(path: string, fasta: IndexedFasta, chromosomes: ReadonlyMap<string, number>): ReferenceGenome {
  return {
    path,
    chromosomes,
    async fetch(chrom, start, end) {
      const length = chromosomes.get(chrom);
      if (length === undefined) throw new UserError(`genome ${path}: no chromosome '${chrom}'.`);
      if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= length)) {
        throw new UserError(`genome ${path}: range ${chrom}:${start}-${end} is outside the chromosome (length ${length}).`);
      }
      return (await fasta.getSequence(chrom, start, end)) ?? '';
    },
    async close() {},
  };
}
