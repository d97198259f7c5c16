/**
 * Test/bench helpers for the training engine: a tiny in-memory EncodedSplit of random DNA with
 * planted motifs (task t is positive when motif t is planted), and small variants.
 */
import type { EncodedSplit } from '../../src/data/types.js';
import type { VariantConfig } from '../../src/model/config.js';
import { Rng } from '../../src/rng.js';

const BASES = 'ACGT';
const DEFAULT_MOTIFS = ['TGACTCA', 'CACGTG', 'GATAAG', 'CCAATCA'];

export interface PlantedMotifOptions {
  count: number;
  seqLen: number;
  tasks: number;
  seed: number;
  /** Fraction of positives per task. */
  positiveRate?: number;
}

export function plantedMotifSplit(opts: PlantedMotifOptions): EncodedSplit {
  const { count, seqLen, tasks, seed } = opts;
  const positiveRate = opts.positiveRate ?? 0.5;
  const rng = new Rng(seed);
  const codes = new Uint8Array(count * seqLen);
  const labels = new Float32Array(count * tasks);
  for (let s = 0; s < count; s++) {
    for (let p = 0; p < seqLen; p++) codes[s * seqLen + p] = rng.int(0, 3);
    for (let t = 0; t < tasks; t++) {
      if (rng.next() >= positiveRate) continue;
      const motif = DEFAULT_MOTIFS[t % DEFAULT_MOTIFS.length]!;
      const at = rng.int(0, seqLen - motif.length);
      for (let i = 0; i < motif.length; i++) codes[s * seqLen + at + i] = BASES.indexOf(motif[i]!);
      labels[s * tasks + t] = 1;
    }
  }
  return {
    count,
    seqLen,
    numTasks: tasks,
    readBatch(indices, x, y, options) {
      x.fill(0, 0, indices.length * seqLen * 4);
      for (let b = 0; b < indices.length; b++) {
        const s = indices[b]!;
        for (let p = 0; p < seqLen; p++) {
          const code = codes[s * seqLen + (options?.reverseComplement ? seqLen - 1 - p : p)]!;
          x[(b * seqLen + p) * 4 + (options?.reverseComplement ? 3 - code : code)] = 1;
        }
        y.set(labels.subarray(s * tasks, (s + 1) * tasks), b * tasks);
      }
    },
    close() {},
  };
}

/** A small but complete variant that learns a planted motif in a few epochs; override what a test varies. */
export function tinyVariant(overrides: Partial<VariantConfig> = {}): VariantConfig {
  return {
    seqLen: 50,
    tasks: 1,
    convFilters: 16,
    convKernel: 8,
    convStride: 1,
    poolSize: 5,
    poolStride: 5,
    convDropout: 0.2,
    rnn: 'lstm',
    rnnUnits: 8,
    rnnMerge: 'concat',
    returnSequences: true,
    rnnDropout: 0.5,
    denseUnits: 16,
    outputActivation: 'sigmoid',
    learningRate: 0.005,
    optimizer: 'adam',
    batchSize: 32,
    epochs: 4,
    seed: 7,
    ...overrides,
  };
}

/** Train and validation splits of planted-motif data for a variant. */
export function plantedMotifSplits(v: VariantConfig, trainCount = 600, validCount = 200): { train: EncodedSplit; valid: EncodedSplit } {
  return {
    train: plantedMotifSplit({ count: trainCount, seqLen: v.seqLen, tasks: v.tasks, seed: 1 }),
    valid: plantedMotifSplit({ count: validCount, seqLen: v.seqLen, tasks: v.tasks, seed: 2 }),
  };
}
