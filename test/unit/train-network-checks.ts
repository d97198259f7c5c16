/**
 * Shared checks of a training network against the standard tfjs-layers model (used by the
 * fast-path and the native-path tests): the variants that cover every architectural branch, a
 * batch, perturbed weights, and the stock model's predictions and autodiff gradients.
 */
import * as tf from '@tensorflow/tfjs';
import { syntheticSplit } from '../support/synthetic-split.js';
import { resolveSynthOptions } from '../../src/data/index.js';
import type { VariantConfig } from '../../src/model/config.js';
import { buildLayersModel } from '../../src/model/layers.js';
import { Rng } from '../../src/rng.js';
import { initialWeights, type Network, probabilities, weightSpecs } from '../../src/train/fast/network.js';
import { tinyVariant } from './train-helpers.js';

/** Every architectural branch: cell, merge mode, return sequences, dense or not, strides, multi-task, softmax. */
export const VARIANTS: Partial<VariantConfig>[] = [
  {},
  { rnn: 'gru' },
  { returnSequences: false },
  { poolStride: 3 },
  { rnnMerge: 'sum', denseUnits: 0, tasks: 4 },
  { rnn: 'gru', rnnMerge: 'ave', convStride: 2, returnSequences: false },
  { rnn: 'gru', convStride: 3, tasks: 3 },
  { outputActivation: 'softmax', tasks: 3, rnnMerge: 'mul' },
];

export function batchOf(v: VariantConfig, n: number): Float32Array {
  // Only the inputs matter here: one motif fits every variant's seqLen, whatever its tasks.
  const split = syntheticSplit(resolveSynthOptions({ samples: n, seqLen: v.seqLen, seed: 3 }));
  const x = new Float32Array(n * v.seqLen * 4);
  split.readBatch(
    Int32Array.from({ length: n }, (_, i) => i),
    x,
    new Float32Array(n),
  );
  // One ambiguous base (N = 0.25 each), as the data layer encodes it.
  x.fill(0.25, 4 * 7, 4 * 8);
  // A poly-A run in the second sample: identical conv windows, so every pool window over it ties.
  if (n > 1) {
    for (let p = 0; p < Math.min(v.seqLen, 40); p++) x.set([1, 0, 0, 0], (v.seqLen + p) * 4);
  }
  return x;
}

/** Initial weights plus noise, so that every bias is non-zero and every term of the gradient is exercised. */
export function perturbedWeights(v: VariantConfig): Float32Array[] {
  const weights = initialWeights(v, new Rng(1));
  const noise = new Rng(2);
  for (const w of weights) for (let i = 0; i < w.length; i++) w[i]! += noise.uniform(-0.1, 0.1);
  return weights;
}

/** The case of one variant: its label, config, weights and a batch of `n` inputs. */
export interface Case {
  label: string;
  v: VariantConfig;
  weights: Float32Array[];
  x: Float32Array;
  n: number;
}

export function cases(n: number): Case[] {
  return VARIANTS.map((overrides) => {
    const v = tinyVariant(overrides);
    return { label: JSON.stringify(overrides), v, weights: perturbedWeights(v), x: batchOf(v, n), n };
  });
}

/** The tfjs-layers model of a case, holding its weights. Dispose it. */
export function stockModel({ v, weights }: Case): tf.Sequential {
  const model = buildLayersModel(v, { fastWeightInit: true });
  model.setWeights(weightSpecs(v).map((s, i) => tf.tensor(weights[i]!, s.shape)));
  return model;
}

/** Any scalar of the outputs will do: a fixed random projection of the probabilities [n, tasks]. */
export function projectionOf({ v, n }: Case): Float32Array {
  const rng = new Rng(4);
  return Float32Array.from({ length: n * v.tasks }, () => rng.normal());
}

/** The stock model's value of sum(probabilities * projection) and its gradients, by autodiff, in weight order. */
export function stockGradients(c: Case): { value: number; grads: Float32Array[] } {
  const model = stockModel(c);
  try {
    return tf.tidy(() => {
      // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- LayerVariable.read() returns its tf.Variable, typed as Tensor
      const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const projection = tf.tensor2d(projectionOf(c), [c.n, c.v.tasks]);
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(model.apply(tf.tensor3d(c.x, [c.n, c.v.seqLen, 4])) as tf.Tensor, projection)), variables);
      return { value: value.dataSync()[0]!, grads: variables.map((w) => (grads[w.name]!.dataSync() as Float32Array).slice()) };
    });
  } finally {
    model.dispose();
  }
}

export function stockPredictions(c: Case): Float32Array {
  const model = stockModel(c);
  try {
    return tf.tidy(() => (model.predict(tf.tensor3d(c.x, [c.n, c.v.seqLen, 4])) as tf.Tensor).dataSync() as Float32Array).slice();
  } finally {
    model.dispose();
  }
}

/** max |a - b| / max |b|. */
export function maxRelativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / (scale || 1);
}

/** A training network's value of the same scalar and its gradients (`dropout`: with the training masks). */
export function networkGradients(network: Network, c: Case, dropout?: Rng): { value: number; grads: Float32Array[] } {
  return tf.tidy(() => {
    const projection = tf.tensor2d(projectionOf(c), [c.n, c.v.tasks]);
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(probabilities(network.logits(c.x, c.n, dropout), c.v.outputActivation), projection)), network.variables);
    return { value: value.dataSync()[0]!, grads: network.variables.map((w) => (grads[w.name]!.dataSync() as Float32Array).slice()) };
  });
}
