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
 * - the forward keeps the position of each maximum (ArgMax, int32 [steps, batch, filters]), not
 *   the conv output: full DanQ's conv output is 125 MB, which would stay alive through the whole
 *   backward pass;
 * - backward: ReluGrad, then each pooled gradient goes to its maximum's position (Equal against
 *   the pool positions, then SelectV2, both broadcasting: no full-size float mask), and
 *   d kernel = windows^T d conv as one MatMul; no gradient w.r.t. the input is needed. Ties come
 *   from identical input windows (repeats, runs of N), whose rows of `windows` are equal, so
 *   whichever tied position ArgMax picks, the kernel gradient is MaxPool's. Measured before
 *   (DanQ-lite, one thread): ArgMax + OneHot 9.8 ms a batch, MaxPoolGrad 9.2 ms.
 */
import * as tf from '@tensorflow/tfjs';
import { TensorFlowOps } from './tensorflow-ops.js';

export interface ConvPoolDims {
  batch: number;
  seqLen: number;
  convKernel: number;
  convStride: number;
  filters: number;
  steps: number;
  poolSize: number;
  poolStride: number;
}

/** The im2col rows [steps * batch * poolSize, convKernel * 4], row (t, b, j) = the conv window at position t * poolStride + j of sample b. */
export function poolWindows(x: Float32Array, d: ConvPoolDims): Float32Array {
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
export function convPoolRelu(x: Float32Array, kernel: tf.Tensor, bias: tf.Tensor, d: ConvPoolDims): tf.Tensor3D {
  const width = d.convKernel * 4;
  const windows = tf.tensor2d(poolWindows(x, d), [d.steps * d.batch * d.poolSize, width]);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [kernelIn, biasIn] = args as tf.Tensor[];
    const save = args[2] as tf.GradSaveFunc;
    const ops = TensorFlowOps.active();
    const conv = tf.reshape(tf.matMul(windows, tf.reshape(kernelIn!, [width, d.filters])), [d.steps, d.batch, d.poolSize, d.filters]);
    const [maxAt] = ops.run('ArgMax', [ops.float32(), ops.int32Type('Tidx'), ops.int32Type('output_type')], [conv, tf.scalar(2, 'int32')], 1);
    const y = tf.relu(tf.add(tf.max(conv, 2), biasIn!)) as tf.Tensor3D;
    save([windows, maxAt!, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sWindows, sMaxAt, sY] = saved;
        const [dPre] = ops.run('ReluGrad', [ops.float32()], [dy, sY], 1);
        const dBias = tf.sum(dPre!, [0, 1]);
        const [atMaximum] = ops.run('Equal', [ops.int32Type('T'), ops.bool('incompatible_shape_error', true)], [poolPositions(d.poolSize), tf.expandDims(sMaxAt!, 2)], 1);
        const [dConv] = ops.run('SelectV2', [ops.float32()], [atMaximum, tf.expandDims(dPre!, 2), tf.scalar(0)], 1);
        // Freed now rather than when the whole gradient is done: full DanQ's is 31 MB.
        atMaximum!.dispose();
        const dKernel = tf.reshape(tf.matMul(sWindows!, tf.reshape(dConv!, [d.steps * d.batch * d.poolSize, d.filters]), true, false), kernel.shape);
        return [dKernel, dBias];
      },
    };
  }) as (...inputs: tf.Tensor[]) => tf.Tensor;
  return op(kernel, bias) as tf.Tensor3D;
}

/** [1, 1, poolSize, 1]: 0 .. poolSize - 1 on the pool axis, to compare with ArgMax's positions. */
function poolPositions(poolSize: number): tf.Tensor {
  return tf.reshape(tf.range(0, poolSize, 1, 'int32'), [1, 1, poolSize, 1]);
}
