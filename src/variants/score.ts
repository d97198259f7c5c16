/**
 * `sweep variants`: every allele of a VCF scored by a model, streaming. Records are read one at a
 * time; each scoreable allele adds its reference and alternative windows (alleles.ts) to the
 * scorer's pending set, and when a batch is full the pending records are scored and written in
 * file order. Memory is one batch of windows and the records they belong to.
 */
import { UserError } from '../errors.js';
import { codeBases, invalidBaseError } from '../data/sequence.js';
import type { SourceFile } from '../data/source.js';
import type { ReferenceGenome } from '../genome/reference.js';
import { formatFloat32, WindowScorer } from '../predict/predict.js';
import type { ModelInfo } from '../predict/model.js';
import { alleleWindow, contextRange, refMatches, SKIP_REASONS, splitAlleles, unknownChromosomeError, type SkipReason } from './alleles.js';
import { formatDiff, formatLogOdds } from './effects.js';
import { readVcf, type VcfRecord } from './vcf.js';

export type VariantFormat = 'tsv' | 'vcf';

export interface VariantOptions {
  format: VariantFormat;
  /** A REF that disagrees with the genome stops the run (else it is flagged and scored). */
  strict: boolean;
  /** Windows per forward pass. */
  batch: number;
  rcAverage: boolean;
  onProgress?: (bytes: number, records: number) => void;
}

export interface VariantSummary {
  records: number;
  scored: number;
  refMismatches: number;
  skipped: Record<SkipReason, number>;
}

interface ScoredAllele {
  alt: string;
  skip?: SkipReason;
  refMatch?: boolean;
  /** Index of its reference window among the pending ones (the alternative window follows it). */
  window?: number;
}

interface PendingRecord {
  record: VcfRecord;
  alleles: ScoredAllele[];
}

/** Bases as text to codes in a scorer window; a genome letter that is not DNA is a UserError naming the genome. */
function encodeWindow(text: string, into: Uint8Array, where: () => string): void {
  const bytes = Buffer.from(text, 'latin1');
  const bad = codeBases(bytes, 0, bytes.length, into, 0);
  if (bad >= 0) throw invalidBaseError(where(), bad + 1, bytes[bad]!);
}

/** INFO ids are letters, digits, '_' and '.', not starting with a digit. */
function infoKey(task: string, suffix: string): string {
  const key = `${task.replace(/[^0-9A-Za-z_.]/g, '_')}_${suffix}`;
  return /^[A-Za-z_]/.test(key) ? key : `_${key}`;
}

const INFO_SUFFIXES = [
  ['ref', 'reference-allele probability'],
  ['alt', 'alternative-allele probability'],
  ['diff', 'alt - ref probability'],
  ['logodds', 'logit(alt) - logit(ref)'],
] as const;
const REF_MISMATCH_FLAG = 'ref_mismatch';

export async function scoreVariants(
  model: ModelInfo,
  weights: readonly Float32Array[],
  genome: ReferenceGenome,
  vcf: SourceFile,
  write: (text: string) => void,
  opts: VariantOptions,
): Promise<VariantSummary> {
  const { seqLen, tasks } = model.variant;
  const names = model.taskNames;
  const summary: VariantSummary = { records: 0, scored: 0, refMismatches: 0, skipped: { symbolic: 0, long: 0, edge: 0 } };
  const scorer = new WindowScorer(model, weights, opts.batch, opts.rcAverage);
  const pending: PendingRecord[] = [];
  let bytes = 0;

  const writeHeader = (lines: readonly string[]) => {
    if (opts.format === 'tsv') {
      write(['chrom', 'pos', 'id', 'ref', 'alt', ...names.flatMap((t) => INFO_SUFFIXES.map(([s]) => `${t}_${s}`)), 'ref_match'].join('\t') + '\n');
      return;
    }
    const existing = new Set(lines.flatMap((l) => /^##INFO=<ID=([^,>]+)/.exec(l)?.[1] ?? []));
    const added = [
      ...names.flatMap((t) => INFO_SUFFIXES.map(([s, what]) => `##INFO=<ID=${infoKey(t, s)},Number=A,Type=Float,Description="sweep variants: task ${t}, ${what}">`)),
      `##INFO=<ID=${REF_MISMATCH_FLAG},Number=0,Type=Flag,Description="sweep variants: REF differs from the genome ${genome.path}">`,
    ];
    for (const line of added) {
      const id = /ID=([^,]+)/.exec(line)![1]!;
      if (existing.has(id)) throw new UserError(`${vcf.display}: the header already has an INFO field '${id}' (scored before?); give a VCF without the sweep variants fields.`);
    }
    write([...lines.slice(0, -1), ...added, lines[lines.length - 1]!].join('\n') + '\n');
  };

  const flush = () => {
    if (pending.length === 0) return;
    const scores = scorer.pending > 0 ? scorer.score() : new Float32Array(0);
    let text = '';
    for (const { record, alleles } of pending) text += opts.format === 'tsv' ? tsvRows(record, alleles, scores) : vcfLine(record, alleles, scores);
    write(text);
    pending.length = 0;
    opts.onProgress?.(bytes, summary.records);
  };

  const tsvRows = (record: VcfRecord, alleles: ScoredAllele[], scores: Float32Array): string => {
    let text = '';
    for (const a of alleles) {
      if (a.window === undefined) continue;
      text += `${record.chrom}\t${record.pos}\t${record.id}\t${record.ref}\t${a.alt}`;
      const ref = a.window * tasks;
      const alt = ref + tasks;
      for (let t = 0; t < tasks; t++) {
        const r = scores[ref + t]!;
        const x = scores[alt + t]!;
        text += `\t${formatFloat32(r)}\t${formatFloat32(x)}\t${formatDiff(r, x)}\t${formatLogOdds(r, x)}`;
      }
      text += a.refMatch ? '\t1\n' : '\t0\n';
    }
    return text;
  };

  const vcfLine = (record: VcfRecord, alleles: ScoredAllele[], scores: Float32Array): string => {
    if (alleles.every((a) => a.window === undefined)) return record.text + '\n';
    const fields: string[] = [];
    for (let t = 0; t < tasks; t++) {
      const values = INFO_SUFFIXES.map(() => [] as string[]);
      for (const a of alleles) {
        if (a.window === undefined) {
          for (const v of values) v.push('.');
          continue;
        }
        const r = scores[a.window * tasks + t]!;
        const x = scores[(a.window + 1) * tasks + t]!;
        values[0]!.push(formatFloat32(r));
        values[1]!.push(formatFloat32(x));
        values[2]!.push(formatDiff(r, x));
        values[3]!.push(formatLogOdds(r, x));
      }
      INFO_SUFFIXES.forEach(([s], i) => fields.push(`${infoKey(names[t]!, s)}=${values[i]!.join(',')}`));
    }
    if (alleles.some((a) => a.refMatch === false)) fields.push(REF_MISMATCH_FLAG);
    const columns = record.text.split('\t');
    const info = columns[7] ?? '.';
    columns[7] = info === '.' || info === '' ? fields.join(';') : `${info};${fields.join(';')}`;
    return columns.join('\t') + '\n';
  };

  const onRecord = async (record: VcfRecord) => {
    summary.records++;
    const length = genome.chromosomes.get(record.chrom);
    if (length === undefined) throw unknownChromosomeError(vcf, record.line, record.chrom, genome.path, genome.chromosomes);
    const alleles: ScoredAllele[] = splitAlleles(record, seqLen);
    const scoreable = alleles.filter((a) => a.skip === undefined);
    if (scoreable.length > 0) {
      const range = contextRange(
        seqLen,
        record.pos,
        record.ref.length,
        scoreable.map((a) => a.alt.length),
      );
      if (range.start < 0 || range.end > length) {
        for (const a of scoreable) a.skip = 'edge';
      } else {
        const context = await genome.fetch(record.chrom, range.start, range.end);
        const refMatch = refMatches(context, range.start, record.pos, record.ref);
        if (!refMatch) {
          if (opts.strict) {
            const at = record.pos - 1 - range.start;
            throw new UserError(
              `${vcf.display} line ${record.line}: variant ${record.chrom}:${record.pos} has REF '${record.ref}' but the genome ${genome.path} has '${context.slice(at, at + record.ref.length)}' there (--strict). Is the VCF called against this assembly?`,
            );
          }
          summary.refMismatches++;
        }
        const where = () => `genome ${genome.path} near ${record.chrom}:${record.pos}`;
        for (const a of scoreable) {
          a.refMatch = refMatch;
          a.window = scorer.pending;
          encodeWindow(alleleWindow(seqLen, context, range.start, record.pos, record.ref.length, record.ref), scorer.next(), where);
          encodeWindow(alleleWindow(seqLen, context, range.start, record.pos, record.ref.length, a.alt), scorer.next(), where);
          summary.scored++;
        }
      }
    }
    for (const a of alleles) if (a.skip) summary.skipped[a.skip]++;
    pending.push({ record, alleles });
    if (scorer.pending >= opts.batch) flush();
  };

  try {
    await readVcf(vcf, { header: writeHeader, record: onRecord }, (b) => (bytes = b));
    flush();
  } finally {
    scorer.dispose();
  }
  return summary;
}

/** One line for standard error: what was scored and what was skipped, and why. */
export function describeSummary(s: VariantSummary): string {
  const skipped = (Object.keys(s.skipped) as SkipReason[]).filter((r) => s.skipped[r] > 0).map((r) => `${s.skipped[r]} ${SKIP_REASONS[r]}`);
  return (
    `${s.records} records, ${s.scored} alleles scored` +
    (s.refMismatches > 0 ? `, ${s.refMismatches} with a REF that differs from the genome (flagged)` : '') +
    (skipped.length > 0 ? `; skipped: ${skipped.join(', ')}` : '')
  );
}
