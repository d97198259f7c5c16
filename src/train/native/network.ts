/**
 * The DanQ network on the native backends (tfjs-node, tfjs-node-gpu): the same weights, layout
 * and dropout draws as the fast path in ../network.ts, but every op is a TensorFlow op on the
 * device, so a training step reads nothing back to the host until its loss: conv, pool, bias and
 * ReLU as MatMul + Max (conv-pool.ts), the RNN through TensorFlow's fused kernels (rnn.ts),
 * dense layers as fused MatMul + BiasAdd (+ Relu). Dropout masks come from the same seeded Rng
 * as on wasm, drawn on the host and uploaded (an upload does not stall the device).
 */
import * as tf from '@tensorflow/tfjs';
import type { VariantConfig } from '../../model/config.js';
import type { Rng } from '../../rng.js';
import { dropoutMask, Network } from '../network.js';
import type { BackendName } from '../types.js';
import { convPoolRelu } from './conv-pool.js';
import { rnnKernelFor, rnnSequence, type RnnKernel } from './rnn.js';
import { TensorFlowOps } from './tensorflow-ops.js';

export class NativeNetwork extends Network {
  /** The RNN kernel family in use: 'cudnn' only for LSTM on a GPU. */
  readonly rnnKernel: RnnKernel;

  constructor(variant: VariantConfig, values: readonly Float32Array[]) {
    super(variant, values);
    this.rnnKernel = rnnKernelFor(variant.rnn, TensorFlowOps.active());
  }

  override logits(x: Float32Array, batch: number, dropout?: Rng): tf.Tensor2D {
    const v = this.variant;
    const { steps } = this.dims;
    const [convKernel, convBias, ...rest] = this.variables;
    const [forwardKernel, forwardRecurrent, forwardBias, backwardKernel, backwardRecurrent, backwardBias] = rest;
    const denseWeights = rest.slice(6);

    // Time-major [steps, batch, filters]: the RNN kernels' layout and the fast path's mask order.
    let sequence = convPoolRelu(x, convKernel!, convBias!, {
      batch,
      seqLen: v.seqLen,
      convKernel: v.convKernel,
      convStride: v.convStride,
      filters: v.convFilters,
      steps,
      poolSize: v.poolSize,
      poolStride: v.poolStride,
    });
    if (dropout && v.convDropout > 0) {
      sequence = tf.mul(sequence, tf.tensor3d(dropoutMask(sequence.size, v.convDropout, dropout), sequence.shape));
    }

    const rnn = rnnSequence(v.rnn, this.rnnKernel);
    const forward = rnn(sequence, forwardKernel!, forwardRecurrent!, forwardBias!);
    // The backward layer reads the sequence from its end; its outputs are re-aligned to time.
    const backwardProcessed = rnn(tf.reverse(sequence, 0), backwardKernel!, backwardRecurrent!, backwardBias!);
    let h: tf.Tensor2D;
    if (v.returnSequences) {
      const merged = merge(forward, tf.reverse(backwardProcessed, 0), v.rnnMerge);
      h = tf.reshape(tf.transpose(merged, [1, 0, 2]), [batch, -1]);
    } else {
      const last = (t: tf.Tensor3D) => tf.reshape(tf.slice(t, [steps - 1, 0, 0], [1, batch, v.rnnUnits]), [batch, v.rnnUnits]);
      h = merge(last(forward), last(backwardProcessed), v.rnnMerge) as tf.Tensor2D;
    }
    if (dropout && v.rnnDropout > 0) h = tf.mul(h, tf.tensor2d(dropoutMask(h.size, v.rnnDropout, dropout), h.shape));

    if (v.denseUnits > 0) h = tf.fused.matMul({ a: h, b: denseWeights[0] as tf.Tensor2D, bias: denseWeights[1]!, activation: 'relu' }) as tf.Tensor2D;
    const [outKernel, outBias] = denseWeights.slice(-2);
    return tf.fused.matMul({ a: h, b: outKernel as tf.Tensor2D, bias: outBias! }) as tf.Tensor2D;
  }
}

/** Keras' Bidirectional merge modes, on the last axis. */
function merge<T extends tf.Tensor>(forward: T, backward: T, mode: VariantConfig['rnnMerge']): T {
  switch (mode) {
    case 'concat':
      return tf.concat([forward, backward], -1);
    case 'sum':
      return tf.add(forward, backward);
    case 'mul':
      return tf.mul(forward, backward);
    case 'ave':
      return tf.mul(tf.add(forward, backward), 0.5);
  }
}

/** The network a backend trains fastest with: device-resident on the native backends, the host-assisted fast path elsewhere. */
export function createNetwork(backend: BackendName, variant: VariantConfig, values: readonly Float32Array[]): Network {
  return backend === 'tfjs-node' || backend === 'tfjs-node-gpu' ? new NativeNetwork(variant, values) : new Network(variant, values);
}
