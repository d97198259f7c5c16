/**
 * `sweep motifs` and the report's motif section: filter motifs from the data (filters.ts), each
 * compared with every JASPAR CORE 2024 vertebrate motif (compare.ts, jaspar.ts).
 */
import { decodeOneHot } from '../data/encoding.js';
import type { LengthPolicy } from '../data/dataset-spec.js';
import type { EncodedSplit } from '../data/types.js';
import type { VariantConfig } from '../model/config.js';
import { readSequences, type SequenceInput } from '../predict/sequences.js';
import { compareToTargets, consensus, rowInformation, trimFlanks, type Match } from './compare.js';
import { filterMotifs, type FilterMotif, type OneHotSource } from './filters.js';
import { jaspar2024Motifs } from './jaspar.js';

export { formatMeme } from './meme.js';
export type { FilterMotif } from './filters.js';

function comparisonMethod(targets: number): string {
  return (
    'Tomtom-like: best offset on both strands, sum of column Pearson correlations over >= 5 overlapping columns, filter motif flanks under 0.3 bits trimmed; ' +
    `empirical p-value against the same score of 20 column-shuffled copies of the filter motif versus all ${targets} JASPAR CORE 2024 vertebrate motifs (seeded); E = p x ${targets}`
  );
}

/** A comparison match whose target is a JASPAR motif. */
export interface JasparMatch extends Omit<Match, 'target'> {
  /** JASPAR matrix id with version, e.g. MA0139.2. */
  id: string;
  /** TF name, e.g. CTCF. */
  name: string;
  consensus: string;
}

export interface FilterReport extends FilterMotif {
  informationContent: number;
  consensus: string;
  /** The rows compared (flanks under 0.3 bits trimmed): first row and width. */
  core: { start: number; width: number };
  /** Best first; empty for a filter with no sites. */
  matches: JasparMatch[];
}

export interface MotifAnalysis {
  threshold: number;
  sequences: number;
  comparison: string;
  filters: FilterReport[];
}

export interface AnalyseOptions {
  threshold: number;
  /** Matches kept per filter (default 5). */
  top?: number;
  seed?: number;
}

export async function analyseFilters(variant: VariantConfig, weights: readonly Float32Array[], source: OneHotSource, options: AnalyseOptions): Promise<MotifAnalysis> {
  let sequences = 0;
  let pass = 0;
  const counted: OneHotSource = async (onSequence) => {
    pass++;
    await source((x) => {
      if (pass === 1) sequences++;
      onSequence(x);
    });
  };
  const motifs = await filterMotifs(variant, weights, counted, options.threshold);
  const jaspar = jaspar2024Motifs();
  const targets = jaspar.map((m) => m.pfm);
  const filters = motifs.map((m) => {
    const core = trimFlanks(m.pfm);
    const matches =
      m.sites === 0
        ? []
        : compareToTargets(core.rows, targets, { seed: (options.seed ?? 1) * 1000 + m.filter })
            .slice(0, options.top ?? 5)
            .map((match) => ({
              id: jaspar[match.target]!.id,
              name: jaspar[match.target]!.name,
              consensus: consensus(jaspar[match.target]!.pfm),
              score: match.score,
              pValue: match.pValue,
              eValue: match.eValue,
              strand: match.strand,
              offset: match.offset,
              overlap: match.overlap,
            }));
    return {
      ...m,
      informationContent: m.pfm.reduce((bits, row) => bits + rowInformation(row), 0),
      consensus: consensus(core.rows),
      core: { start: core.start, width: core.rows.length },
      matches,
    };
  });
  return { threshold: options.threshold, sequences, comparison: comparisonMethod(jaspar.length), filters };
}

/** A sequence file as a OneHotSource (read again for each pass). */
export function fileSource(input: SequenceInput, seqLen: number, lengthPolicy: LengthPolicy): OneHotSource {
  const x = new Float32Array(seqLen * 4);
  return async (onSequence) => {
    await readSequences(input, { seqLen, lengthPolicy }, (_id, codes) => {
      decodeOneHot(codes, x, 0);
      onSequence(x);
    });
  };
}

/** An encoded split (e.g. a sweep's cached validation split) as a OneHotSource. */
export function splitSource(split: EncodedSplit): OneHotSource {
  const batch = 256;
  const x = new Float32Array(batch * split.seqLen * 4);
  const y = new Float32Array(batch * split.numTasks);
  const indices = new Int32Array(batch);
  const size = split.seqLen * 4;
  return async (onSequence) => {
    for (let start = 0; start < split.count; start += batch) {
      const n = Math.min(batch, split.count - start);
      for (let i = 0; i < n; i++) indices[i] = start + i;
      split.readBatch(indices.subarray(0, n), x, y);
      for (let i = 0; i < n; i++) onSequence(x.subarray(i * size, (i + 1) * size));
    }
  };
}
