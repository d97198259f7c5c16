/**
 * The model sizes and the seeded batch that the training benches share (train-throughput.ts,
 * profile-native.ts), so their rows measure the same shapes and data.
 */
import type { VariantConfig } from '../src/model/config.js';
import { resolveVariant } from '../src/model/presets.js';
import { Rng } from '../src/rng.js';

export const BENCH_MODELS: Record<string, { label: string; variant: (overrides?: Partial<VariantConfig>) => VariantConfig }> = {
  lite: { label: 'danq-lite (200 bp, 64x19, pool 10, BiLSTM 32, dense 64, batch 64)', variant: (o = {}) => resolveVariant('danq-lite', o) },
  mid: {
    label: 'mid (500 bp, 128x19, pool 13, BiLSTM 64, dense 128, batch 64)',
    variant: (o = {}) => resolveVariant('danq-lite', { seqLen: 500, convFilters: 128, poolSize: 13, rnnUnits: 64, denseUnits: 128, ...o }),
  },
  danq: { label: 'danq (1000 bp, 320x26, pool 13, BiLSTM 320, dense 925, 919 tasks, batch 100)', variant: (o = {}) => resolveVariant('danq', o) },
};

/** Random one-hot inputs and 0/1 labels, seeded: the same shapes every path sees. */
export function randomBatch(v: VariantConfig): { x: Float32Array; y: Float32Array } {
  const rng = new Rng(3);
  const x = new Float32Array(v.batchSize * v.seqLen * 4);
  for (let i = 0; i < v.batchSize * v.seqLen; i++) x[i * 4 + Math.floor(rng.next() * 4)] = 1;
  const y = Float32Array.from({ length: v.batchSize * v.tasks }, () => (rng.next() < 0.5 ? 1 : 0));
  return { x, y };
}
