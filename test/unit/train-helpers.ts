/**
 * Test helpers for the training engine: small variants, and train/valid splits of the product's
 * synthetic data (JASPAR motifs planted in random DNA, src/data/synth.ts) held in memory.
 */
import { syntheticSplit } from '../support/synthetic-split.js';
import { resolveSynthOptions, type EncodedSplit } from '../../src/data/index.js';
import type { VariantConfig } from '../../src/model/config.js';

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

/** Train and validation splits of synthetic data for a variant (task k is default motif k), from different seeds. */
export function synthSplits(v: VariantConfig, trainCount = 600, validCount = 200): { train: EncodedSplit; valid: EncodedSplit } {
  const split = (samples: number, seed: number) => syntheticSplit(resolveSynthOptions({ tasks: v.tasks, samples, seqLen: v.seqLen, seed }));
  return { train: split(trainCount, 1), valid: split(validCount, 2) };
}
