/**
 * relu(maxpool(conv1d(x)) + bias) as one custom-gradient op of TensorFlow ops, time-major
 * [steps, batch, filters] for the RNN. Why not Conv2D + MaxPool: measured on this machine
 * (tfjs-node on TF 2.21, one thread), Conv2D over [batch, seqLen, 1, 4] is several times slower
 * than the same FLOPs as one MatMul, MaxPoolGrad costs ~10x a Max reduction, and tfjs's ReLU
 * gradient goes through a slow Step kernel. So:
 * - the input windows that pool windows read are laid out on the host (data, outside the tape),
 *   one row per (step, sample, position in the pool window): overlapping pool windows simply
 *   repeat rows, so one code path serves every stride;
 * - conv = MatMul(windows, kernel); pool = Max over the pool axis; ReLU after the bias
 *   (max-pooling first is equal: both are per-channel monotonic);
 * - the forward keeps where the maxima are (a bool mask, Equal against the pooled maximum, and the
 *   count per pool window), not the conv output: full DanQ's conv output is 125 MB of float32,
 *   the mask 31 MB, and what is saved stays alive through the whole backward pass;
 * - backward: ReluGrad, then each pooled gradient goes to the positions of its maximum, split
 *   evenly when several are (SelectV2 broadcasting the share over the mask), and
 *   d kernel = windows^T d conv as one MatMul; no gradient w.r.t. the input is needed. Ties come
 *   from identical input windows (repeats, runs of N), whose rows of `windows` are equal, so the
 *   even split gives exactly MaxPool's first-maximum gradient for the kernel. Measured per
 *   DanQ-lite batch, one thread: ArgMax alone takes 4.6 ms (TensorFlow's is not vectorised), the
 *   mask 0.6 ms, MaxPoolGrad 9.2 ms.
 */
import * as tf from '@tensorflow/tfjs';
import type { ConvPoolShape } from '../conv-pool-shape.js';
import { stepInput } from './step-trace.js';
import { TensorFlowOps } from './tensorflow-ops.js';

/** The im2col rows [steps * batch * poolSize, convKernel * 4], row (t, b, j) = the conv window at position t * poolStride + j of sample b. */
export function poolWindows(x: Float32Array, d: ConvPoolShape): Float32Array {
  const width = d.convKernel * 4;
  const out = new Float32Array(d.steps * d.batch * d.poolSize * width);
  let o = 0;
  for (let t = 0; t < d.steps; t++) {
    for (let b = 0; b < d.batch; b++) {
      for (let j = 0; j < d.poolSize; j++) {
        const start = (b * d.seqLen + (t * d.poolStride + j) * d.convStride) * 4;
        out.set(x.subarray(start, start + width), o);
        o += width;
      }
    }
  }
  return out;
}

/** [steps, batch, filters]; gradients flow to kernel [convKernel, 4, filters] and bias [filters]. */
export function convPoolRelu(x: Float32Array, kernel: tf.Tensor, bias: tf.Tensor, d: ConvPoolShape): tf.Tensor3D {
  const width = d.convKernel * 4;
  const windows = stepInput('windows', tf.tensor2d(poolWindows(x, d), [d.steps * d.batch * d.poolSize, width]));
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [kernelIn, biasIn] = args as tf.Tensor[];
    const save = args[2] as tf.GradSaveFunc;
    const ops = TensorFlowOps.active();
    const conv = tf.reshape(tf.matMul(windows, tf.reshape(kernelIn!, [width, d.filters])), [d.steps, d.batch, d.poolSize, d.filters]);
    const pooled = tf.max(conv, 2, true);
    const [atMaximum] = ops.run('Equal', [ops.float32(), ops.bool('incompatible_shape_error', true)], [conv, pooled], 1);
    const maxima = tf.sum(tf.cast(atMaximum!, 'float32'), 2);
    const y = tf.relu(tf.add(tf.squeeze(pooled, [2]), biasIn!)) as tf.Tensor3D;
    save([windows, atMaximum!, maxima, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sWindows, sAtMaximum, sMaxima, sY] = saved;
        const [dPre] = ops.run('ReluGrad', [ops.float32()], [dy, sY], 1);
        const dBias = tf.sum(dPre!, [0, 1]);
        const share = tf.expandDims(tf.div(dPre!, sMaxima!), 2);
        const [dConv] = ops.run('SelectV2', [ops.float32()], [sAtMaximum, share, tf.scalar(0)], 1);
        const dKernel = tf.reshape(tf.matMul(sWindows!, tf.reshape(dConv!, [d.steps * d.batch * d.poolSize, d.filters]), true, false), kernel.shape);
        return [dKernel, dBias];
      },
    };
  }) as (...inputs: tf.Tensor[]) => tf.Tensor;
  return op(kernel, bias) as tf.Tensor3D;
}
