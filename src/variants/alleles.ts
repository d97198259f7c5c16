/**
 * From VCF records to scoreable alleles and their two windows.
 *
 * Window construction: a window of the model's seqLen holds one allele (REF for the reference
 * window, ALT for the alternative one) with genome flanks on both sides: floor((seqLen - a) / 2)
 * bases before it and the rest after it, for an allele of a bases. The flanks are the genome
 * outside the REF span, so for an SNV both windows are the same but for the one base, and for an
 * indel the alternative window takes more (deletion) or less (insertion) flank, which keeps its
 * length at seqLen and its allele centred. VCF's anchor base is part of both alleles and needs no
 * special case.
 */
import { UserError } from '../errors.js';
import type { SourceFile } from '../data/source.js';
import type { VcfRecord } from './vcf.js';

/** Longest REF or ALT scored; longer alleles (structural variants, in effect) are skipped and counted. */
export const MAX_ALLELE_BP = 50;

const SEQUENCE_ALLELE = /^[ACGTN]+$/i;

export type SkipReason = 'symbolic' | 'long' | 'edge';

export const SKIP_REASONS: Record<SkipReason, string> = {
  symbolic: "symbolic or missing ALT ('<DEL>', '*', '.', breakends)",
  long: `REF or ALT longer than ${MAX_ALLELE_BP} bp`,
  edge: 'window past a chromosome end',
};

/** One ALT of a record (multi-allelic records are split): scoreable, or skipped with a reason. */
export type Allele = { alt: string; skip?: undefined } | { alt: string; skip: SkipReason };

/** The ALTs of a record, each scoreable or skipped (`edge` is decided later, against the genome). */
export function splitAlleles(record: VcfRecord, seqLen: number): Allele[] {
  return record.alts.map((alt) => {
    if (!SEQUENCE_ALLELE.test(alt)) return { alt, skip: 'symbolic' };
    const longest = Math.max(alt.length, record.ref.length);
    if (longest > MAX_ALLELE_BP || longest > seqLen) return { alt, skip: 'long' };
    return { alt };
  });
}

/** Bases before an allele of `alleleLength` in a window of seqLen (the rest go after it). */
export function leftFlank(seqLen: number, alleleLength: number): number {
  return Math.floor((seqLen - alleleLength) / 2);
}

/**
 * The genome range (0-based, half-open) that holds the reference window and every alternative
 * window of a REF of `refLength` at 1-based `pos` with ALTs of the given lengths.
 */
export function contextRange(seqLen: number, pos: number, refLength: number, altLengths: readonly number[]): { start: number; end: number } {
  const refStart = pos - 1;
  let before = leftFlank(seqLen, refLength);
  let after = seqLen - refLength - before;
  for (const a of altLengths) {
    const left = leftFlank(seqLen, a);
    before = Math.max(before, left);
    after = Math.max(after, seqLen - a - left);
  }
  return { start: refStart - before, end: refStart + refLength + after };
}

/**
 * The window of seqLen that holds `allele` in place of the REF span, as text: `context` is the
 * genome from `contextStart` (0-based), covering contextRange; the REF span starts at 1-based `pos`.
 */
export function alleleWindow(seqLen: number, context: string, contextStart: number, pos: number, refLength: number, allele: string): string {
  const refAt = pos - 1 - contextStart;
  const left = leftFlank(seqLen, allele.length);
  const right = seqLen - allele.length - left;
  return context.slice(refAt - left, refAt) + allele + context.slice(refAt + refLength, refAt + refLength + right);
}

/** Case-insensitive: soft-masked genomes store repeats in lower case. */
export function refMatches(context: string, contextStart: number, pos: number, ref: string): boolean {
  const at = pos - 1 - contextStart;
  return context.slice(at, at + ref.length).toUpperCase() === ref.toUpperCase();
}

/**
 * A VCF chromosome the genome does not have: a UserError saying whether it is a `chr` prefix
 * difference (and how to rename), or listing some of the genome's names.
 */
export function unknownChromosomeError(vcf: SourceFile, line: number, chrom: string, genomePath: string, genomeChroms: ReadonlyMap<string, number>): UserError {
  const where = `${vcf.display} line ${line}`;
  const withChr = chrom.startsWith('chr') ? chrom.slice(3) : `chr${chrom}`;
  if (genomeChroms.has(withChr)) {
    const vcfHasPrefix = chrom.startsWith('chr');
    return new UserError(
      `${where}: chromosome '${chrom}' is not in the genome ${genomePath}, which names it '${withChr}': the VCF ${vcfHasPrefix ? "uses the 'chr' prefix and the genome does not" : "has no 'chr' prefix and the genome has"}. ` +
        `Rename the VCF's chromosomes to the genome's, e.g. with a two-column file of old and new names (lines like '${chrom} ${withChr}'): ` +
        `bcftools annotate --rename-chrs names.txt ${vcf.display} -Oz -o renamed.vcf.gz`,
    );
  }
  const names = [...genomeChroms.keys()];
  return new UserError(
    `${where}: chromosome '${chrom}' is not in the genome ${genomePath} (its ${names.length} sequences: ${names.slice(0, 8).join(', ')}${names.length > 8 ? ', ...' : ''}). Is this VCF called against another assembly?`,
  );
}
