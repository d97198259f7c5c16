/**
 * The fast functional DanQ network: weights are tf.Variables in exactly the layout and order of
 * the standard tfjs-layers model (`buildLayersModel(v).getWeights()`, so exporting is a
 * `setWeights`), the forward pass is built from the custom-gradient ops in kernels.ts (why: see
 * there). The im2col patches of the one-hot input are data, built on the host outside the tape;
 * conv positions that no pool window reads are skipped. Dropout masks come from a seeded Rng.
 */
import * as tf from '@tensorflow/tfjs';
import type { VariantConfig } from '../../model/config.js';
import { inspectVariant, rnnGates, variantSizes, type VariantSizes } from '../../model/shapes.js';
import { UserError } from '../../errors.js';
import type { Rng } from '../../rng.js';
import type { ConvPoolShape } from '../conv-pool-shape.js';
import { bidirectionalRnn, convPool, matMul } from './kernels.js';

export interface WeightSpec {
  /** tfjs-layers-style name, for checkpoints and messages. */
  name: string;
  shape: number[];
}

/** The sizes the forward pass needs, derived from a (validated) variant. */
export interface NetworkDims extends VariantSizes {
  /** Conv positions actually read by some pool window. */
  convPositionsUsed: number;
}

/** Throws a UserError listing every shape problem (naming the parameter) before any compute. */
function networkDims(v: VariantConfig): NetworkDims {
  const inspection = inspectVariant(v);
  if (!inspection.ok)
    throw UserError.of(
      'invalid model variant:',
      inspection.problems.map((p) => p.message),
    );
  const sizes = variantSizes(v);
  return { ...sizes, convPositionsUsed: (sizes.steps - 1) * v.poolStride + v.poolSize };
}

/** Every weight, in `buildLayersModel(v).getWeights()` order. */
export function weightSpecs(v: VariantConfig): WeightSpec[] {
  const { denseInputs } = networkDims(v);
  const u = v.rnnUnits;
  const g = rnnGates(v.rnn);
  const rnnLayer = (direction: string): WeightSpec[] => [
    { name: `bidirectional/${direction}_${v.rnn}/kernel`, shape: [v.convFilters, g * u] },
    { name: `bidirectional/${direction}_${v.rnn}/recurrent_kernel`, shape: [u, g * u] },
    { name: `bidirectional/${direction}_${v.rnn}/bias`, shape: [g * u] },
  ];
  const specs: WeightSpec[] = [{ name: 'conv1d/kernel', shape: [v.convKernel, 4, v.convFilters] }, { name: 'conv1d/bias', shape: [v.convFilters] }, ...rnnLayer('forward'), ...rnnLayer('backward')];
  let inputs = denseInputs;
  if (v.denseUnits > 0) {
    specs.push({ name: 'dense/kernel', shape: [inputs, v.denseUnits] }, { name: 'dense/bias', shape: [v.denseUnits] });
    inputs = v.denseUnits;
  }
  specs.push({ name: 'output/kernel', shape: [inputs, v.tasks] }, { name: 'output/bias', shape: [v.tasks] });
  return specs;
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function countParams(v: VariantConfig): number {
  return weightSpecs(v).reduce((n, s) => n + sizeOf(s.shape), 0);
}

/**
 * Seeded initial weights with Keras' defaults: Glorot uniform kernels, orthogonal recurrent
 * kernels, zero biases except the LSTM forget gate (unit_forget_bias: 1).
 */
export function initialWeights(v: VariantConfig, rng: Rng): Float32Array[] {
  return weightSpecs(v).map(({ name, shape }) => {
    if (name.endsWith('recurrent_kernel')) return orthogonal(shape[0]!, shape[1]!, rng);
    const values = new Float32Array(sizeOf(shape));
    if (name.endsWith('kernel')) {
      // Keras fans: conv kernels [k, in, out] count the receptive field k in both.
      const receptive = shape.length === 3 ? shape[0]! : 1;
      const fanIn = receptive * shape[shape.length - 2]!;
      const fanOut = receptive * shape[shape.length - 1]!;
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < values.length; i++) values[i] = rng.uniform(-limit, limit);
    } else if (v.rnn === 'lstm' && name.startsWith('bidirectional/')) {
      values.fill(1, v.rnnUnits, 2 * v.rnnUnits);
    }
    return values;
  });
}

/**
 * Keras' Orthogonal initializer for a [rows, cols] matrix: QR of a normal matrix of the taller
 * orientation, sign-corrected so R has a positive diagonal (modified Gram-Schmidt gives that
 * directly), transposed back when rows < cols.
 */
function orthogonal(rows: number, cols: number, rng: Rng): Float32Array {
  const tall = Math.max(rows, cols);
  const narrow = Math.min(rows, cols);
  // q[j] is column j (length `tall`) of the tall matrix.
  const q = Array.from({ length: narrow }, () => Float64Array.from({ length: tall }, () => rng.normal()));
  for (let j = 0; j < narrow; j++) {
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < tall; i++) dot += q[k]![i]! * q[j]![i]!;
      for (let i = 0; i < tall; i++) q[j]![i]! -= dot * q[k]![i]!;
    }
    let norm = 0;
    for (let i = 0; i < tall; i++) norm += q[j]![i]! ** 2;
    norm = Math.sqrt(norm);
    for (let i = 0; i < tall; i++) q[j]![i]! /= norm;
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = rows < cols ? q[r]![c]! : q[c]![r]!;
  }
  return out;
}

export class Network {
  readonly dims: NetworkDims;
  readonly variables: tf.Variable[];

  constructor(
    readonly variant: VariantConfig,
    values: readonly Float32Array[],
  ) {
    this.dims = networkDims(variant);
    const specs = weightSpecs(variant);
    if (values.length !== specs.length) throw new Error(`expected ${specs.length} weight arrays, got ${values.length}`);
    this.variables = specs.map((spec, i) => {
      if (values[i]!.length !== sizeOf(spec.shape)) {
        throw new Error(`weight ${spec.name}: expected ${sizeOf(spec.shape)} values, got ${values[i]!.length}`);
      }
      // tidy disposes the initial tensor; the variable keeps its data.
      return tf.tidy(() => tf.variable(tf.tensor(values[i]!, spec.shape, 'float32'), true));
    });
  }

  /** Copies of the current weight values (host memory, not tensors). */
  readWeights(): Float32Array[] {
    return this.variables.map((w) => (w.dataSync() as Float32Array).slice());
  }

  dispose(): void {
    for (const w of this.variables) w.dispose();
  }

  /** The conv + pool stage's sizes for a batch of `batch` samples. */
  convPoolShape(batch: number): ConvPoolShape {
    const v = this.variant;
    return {
      batch,
      seqLen: v.seqLen,
      convKernel: v.convKernel,
      convStride: v.convStride,
      filters: v.convFilters,
      positions: this.dims.convPositionsUsed,
      steps: this.dims.steps,
      poolSize: v.poolSize,
      poolStride: v.poolStride,
    };
  }

  /**
   * Output logits [batch, tasks] for a batch of one-hot inputs `x` (row-major
   * [sample][position][A,C,G,T]). With `dropout` (training), masks are drawn from it in a fixed
   * order (conv, then RNN), so the same Rng state gives the same masks. Call inside tf.tidy.
   */
  logits(x: Float32Array, batch: number, dropout?: Rng): tf.Tensor2D {
    const v = this.variant;
    const { steps } = this.dims;
    const [convKernel, convBias, ...rest] = this.variables;
    const denseWeights = rest.slice(6);

    const convMask = dropout && v.convDropout > 0 ? dropoutMask(steps * batch * v.convFilters, v.convDropout, dropout) : undefined;
    const pooled = convPool(x, convKernel!, convBias!, this.convPoolShape(batch), convMask);

    let h: tf.Tensor2D = bidirectionalRnn(pooled, rest.slice(0, 6), {
      batch,
      steps,
      units: v.rnnUnits,
      cell: v.rnn,
      merge: v.rnnMerge,
      returnSequences: v.returnSequences,
    });
    if (dropout && v.rnnDropout > 0) h = tf.mul(h, tf.tensor2d(dropoutMask(h.size, v.rnnDropout, dropout), h.shape));

    if (v.denseUnits > 0) h = tf.relu(tf.add(matMul(h, denseWeights[0]!), denseWeights[1]!)) as tf.Tensor2D;
    const [outKernel, outBias] = denseWeights.slice(-2);
    return tf.add<tf.Tensor2D>(matMul(h, outKernel!), outBias!);
  }
}

/** Inverted dropout: zero with probability `rate`, else scale by 1 / (1 - rate), like Keras. */
function dropoutMask(size: number, rate: number, rng: Rng): Float32Array {
  const mask = new Float32Array(size);
  const keep = 1 / (1 - rate);
  for (let i = 0; i < size; i++) mask[i] = rng.next() < rate ? 0 : keep;
  return mask;
}

/** Mean loss from logits, computed stably (no log of a clipped probability). */
export function lossFromLogits(logits: tf.Tensor2D, labels: tf.Tensor2D, activation: VariantConfig['outputActivation']): tf.Scalar {
  if (activation === 'sigmoid') {
    // binary cross-entropy: max(z, 0) - z y + log(1 + exp(-|z|)), mean over samples and tasks.
    return tf.mean(tf.add(tf.sub(tf.relu(logits), tf.mul(logits, labels)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))));
  }
  // categorical cross-entropy: logsumexp(z) - sum(y z), mean over samples.
  return tf.mean(tf.sub(tf.logSumExp(logits, 1), tf.sum(tf.mul(logits, labels), 1)));
}

export function probabilities(logits: tf.Tensor2D, activation: VariantConfig['outputActivation']): tf.Tensor2D {
  return activation === 'sigmoid' ? tf.sigmoid(logits) : tf.softmax(logits);
}
