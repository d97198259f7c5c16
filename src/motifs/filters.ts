/**
 * First-layer convolution filters read as motifs, by DanQ's (and Basset's) method: a filter's
 * motif is the position frequency matrix of every input window whose activation exceeds
 * `threshold` x the filter's maximum activation over the data. Two passes over the data: the
 * maxima, then the windows. Activations are the layer's pre-ReLU values computed on the host from
 * the exported kernel, so any one-hot input works (ambiguous 0.25 columns, DeepSEA's all-zero N).
 */
import type { VariantConfig } from '../model/config.js';

export interface FilterMotif {
  /** 1-based filter number. */
  filter: number;
  /** convKernel rows of [A, C, G, T] probabilities (each row sums to 1). */
  pfm: number[][];
  /** Windows that went into the PFM. */
  sites: number;
  /** The filter's maximum activation over the data (0 or below: the filter never fires, no sites). */
  maxActivation: number;
}

/** Calls `onSequence` with every sequence's one-hot rows (seqLen x 4, reused between calls); may be called twice. */
export type OneHotSource = (onSequence: (x: Float32Array) => void) => Promise<void>;

/** `weights` in weightSpecs order: [0] is the conv kernel [k, 4, filters], [1] its bias. */
export async function filterMotifs(variant: VariantConfig, weights: readonly Float32Array[], source: OneHotSource, threshold: number): Promise<FilterMotif[]> {
  const { convKernel: k, convFilters: filters, convStride: stride, seqLen } = variant;
  const kernel = weights[0]!;
  const bias = weights[1]!;
  const positions = Math.floor((seqLen - k) / stride) + 1;
  const act = new Float64Array(positions * filters);
  const activations = (x: Float32Array) => {
    for (let p = 0; p < positions; p++) {
      const row = act.subarray(p * filters, (p + 1) * filters);
      for (let f = 0; f < filters; f++) row[f] = bias[f]!;
      const base = p * stride * 4;
      for (let jc = 0; jc < k * 4; jc++) {
        const value = x[base + jc]!;
        if (value === 0) continue;
        const w = jc * filters;
        for (let f = 0; f < filters; f++) row[f]! += value * kernel[w + f]!;
      }
    }
  };

  const max = new Float64Array(filters).fill(-Infinity);
  await source((x) => {
    activations(x);
    for (let i = 0; i < act.length; i++) if (act[i]! > max[i % filters]!) max[i % filters] = act[i]!;
  });

  const counts = new Float64Array(filters * k * 4);
  const sites = new Int32Array(filters);
  const cut = Float64Array.from(max, (m) => (m > 0 ? threshold * m : Infinity));
  await source((x) => {
    activations(x);
    for (let p = 0; p < positions; p++) {
      const base = p * stride * 4;
      for (let f = 0; f < filters; f++) {
        if (!(act[p * filters + f]! > cut[f]!)) continue;
        sites[f]!++;
        const into = f * k * 4;
        for (let jc = 0; jc < k * 4; jc++) counts[into + jc]! += x[base + jc]!;
      }
    }
  });

  return Array.from({ length: filters }, (_, f) => ({
    filter: f + 1,
    pfm: Array.from({ length: k }, (_, j) => {
      const row = [0, 1, 2, 3].map((c) => counts[(f * k + j) * 4 + c]!);
      const sum = row[0]! + row[1]! + row[2]! + row[3]!;
      return sum > 0 ? row.map((n) => n / sum) : [0.25, 0.25, 0.25, 0.25];
    }),
    sites: sites[f]!,
    maxActivation: Number.isFinite(max[f]!) ? max[f]! : 0,
  }));
}
