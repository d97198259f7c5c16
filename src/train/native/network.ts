/**
 * The DanQ network on the native backends (tfjs-node, tfjs-node-gpu): the same weights and layout
 * as the fast path in ../fast/network.ts, but every op is a TensorFlow op on the
 * device, so a training step reads nothing back to the host until its loss: conv, pool, bias and
 * ReLU as Conv2D + MaxPool (conv-pool.ts), the RNN through TensorFlow's fused kernels (rnn.ts),
 * dense layers as fused MatMul + BiasAdd (+ Relu). Dropout masks are drawn on the device by
 * TensorFlow's counter-based StatelessRandomUniform (Philox), keyed by two draws from the trial's
 * seeded dropout Rng, so they are reproducible and resume exactly (the Rng state is checkpointed),
 * but they are not the fast path's masks. Why not the host masks: drawing them cost 2.6 ms of a
 * 25 ms DanQ-lite batch and about 0.12 s of a full-DanQ one, on one thread, before the upload.
 */
import * as tf from '@tensorflow/tfjs';
import type { VariantConfig } from '../../model/config.js';
import type { Rng } from '../../rng.js';
import { Network } from '../fast/network.js';
import { convPoolRelu } from './conv-pool.js';
import { rnnKernelFor, rnnSequence, type RnnKernel } from './rnn.js';
import { stepInput } from './step-trace.js';
import { TensorFlowOps } from './tensorflow-ops.js';

export class NativeNetwork extends Network {
  /** The RNN kernel family in use: 'cudnn' only for LSTM on a GPU. */
  readonly rnnKernel: RnnKernel;

  constructor(variant: VariantConfig, values: readonly Float32Array[]) {
    super(variant, values);
    this.rnnKernel = rnnKernelFor(variant.rnn, TensorFlowOps.active());
  }

  /** tfjs-node's dataSync already returns a fresh copy; a second one would cost 180 MB on full DanQ. */
  override readWeights(): Float32Array[] {
    return this.variables.map((w) => w.dataSync() as Float32Array);
  }

  override logits(x: Float32Array, batch: number, dropout?: Rng): tf.Tensor2D {
    const v = this.variant;
    const { steps } = this.dims;
    const [convKernel, convBias, ...rest] = this.variables;
    const [forwardKernel, forwardRecurrent, forwardBias, backwardKernel, backwardRecurrent, backwardBias] = rest;
    const denseWeights = rest.slice(6);

    // Time-major [steps, batch, filters]: the RNN kernels' layout and the fast path's mask order.
    let sequence = convPoolRelu(x, convKernel!, convBias!, this.convPoolShape(batch));
    if (dropout && v.convDropout > 0) sequence = tf.mul(sequence, deviceDropoutMask(sequence.shape, v.convDropout, dropout));

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
    if (dropout && v.rnnDropout > 0) h = tf.mul(h, deviceDropoutMask(h.shape, v.rnnDropout, dropout));

    if (v.denseUnits > 0) h = tf.fused.matMul({ a: h, b: denseWeights[0] as tf.Tensor2D, bias: denseWeights[1]!, activation: 'relu' }) as tf.Tensor2D;
    const [outKernel, outBias] = denseWeights.slice(-2);
    return tf.fused.matMul({ a: h, b: outKernel as tf.Tensor2D, bias: outBias! }) as tf.Tensor2D;
  }
}

/**
 * Inverted dropout's mask, like the host one (0 with probability `rate`, else 1 / (1 - rate)),
 * drawn on the device from a key of two draws of `rng`.
 */
export function deviceDropoutMask(shape: readonly number[], rate: number, rng: Rng): tf.Tensor {
  const ops = TensorFlowOps.active();
  const key = stepInput('dropout-key', tf.tensor1d([rng.int(0, 0x7fffffff), rng.int(0, 0x7fffffff)], 'int32'));
  const attrs = [ops.float32('dtype'), ops.int32Type('T'), ops.int32Type('Tseed')];
  const [uniform] = ops.run('StatelessRandomUniform', attrs, [tf.tensor1d(shape as number[], 'int32'), key], 1);
  // By name, so the gradient tape neither records nor keeps these intermediates: the mask is data.
  const [kept] = ops.run('GreaterEqual', [ops.float32()], [uniform, tf.scalar(rate)], 1);
  return ops.run('SelectV2', [ops.float32()], [kept, tf.scalar(1 / (1 - rate)), tf.scalar(0)], 1)[0]!;
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
