/**
 * relu(maxpool(conv1d(x)) + bias) as one custom-gradient op of TensorFlow ops, time-major
 * [steps, batch, filters] for the RNN. Measured per kernel inside the compiled step (bench:profile
 * --graph, TF 2.21 with oneDNN, one thread): TensorFlow's Conv2D over [batch, 1, bases, 4] (the
 * sequence along the width, as Keras' Conv1D: along the height oneDNN's filter gradient is 2.5x
 * slower) is faster than im2col + MatMul once the im2col counts (on the host it took 20% of a DanQ-lite step
 * and uploaded 17x the batch; inside TensorFlow, ExtractImagePatches is 5x slower still), and
 * MaxPoolGrad and tfjs's ReLU gradient (a slow Step kernel) are avoided. So:
 * - conv = Conv2D of the uploaded one-hot batch, cut to the bases some pool window reads, so with
 *   pool stride = pool size its positions are exactly the pool windows' (a free reshape); other
 *   strides gather the positions (overlapping windows repeat them);
 * - pool = Max over the pool axis; ReLU after the bias (max-pooling first is equal: both are
 *   per-channel monotonic); the pooled output, poolSize times smaller than the conv's, is made
 *   time-major;
 * - the forward keeps where the maxima are (a bool mask, Equal against the pooled maximum, and the
 *   count per pool window), not the conv output: full DanQ's conv output is 125 MB of float32,
 *   the mask 31 MB, and what is saved stays alive through the whole backward pass;
 * - backward: ReluGrad, then each pooled gradient goes to the positions of its maximum, split
 *   evenly when several are (SelectV2 broadcasting the share over the mask), summed per conv
 *   position when pool windows overlap (UnsortedSegmentSum), and d kernel =
 *   Conv2DBackpropFilter; no gradient w.r.t. the input is needed. Ties come from identical input
 *   windows (repeats, runs of N), so however the share is split the kernel's gradient is
 *   MaxPool's first-maximum one. Measured per DanQ-lite batch, eager, one thread: ArgMax alone
 *   takes 4.6 ms (TensorFlow's is not vectorised), the mask 0.6 ms, MaxPoolGrad 9.2 ms.
 */
import * as tf from '@tensorflow/tfjs';
import type { ConvPoolShape } from '../conv-pool-shape.js';
import { stepInput } from './step-trace.js';
import { TensorFlowOps } from './tensorflow-ops.js';

/** [steps, batch, filters]; gradients flow to kernel [convKernel, 4, filters] and bias [filters]. */
export function convPoolRelu(x: Float32Array, kernel: tf.Tensor, bias: tf.Tensor, d: ConvPoolShape): tf.Tensor3D {
  const ops = TensorFlowOps.active();
  const sequences = stepInput('sequences', tf.tensor4d(x.subarray(0, d.batch * d.seqLen * 4), [d.batch, 1, d.seqLen, 4]));
  // Data, outside the tape: the bases some pool window reads, so the conv has d.positions positions.
  const input = tf.slice(sequences, [0, 0, 0, 0], [d.batch, 1, (d.positions - 1) * d.convStride + d.convKernel, 4]);
  const used = d.steps * d.poolSize;
  const contiguous = d.poolStride === d.poolSize;
  const position = (k: number) => Math.floor(k / d.poolSize) * d.poolStride + (k % d.poolSize);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [kernelIn, biasIn] = args as tf.Tensor[];
    const save = args[2] as tf.GradSaveFunc;
    const conv = tf.conv2d(input, tf.reshape<tf.Rank.R4>(kernelIn!, [1, d.convKernel, 4, d.filters]), [1, d.convStride], 'valid');
    const atPositions = contiguous
      ? conv
      : tf.gather(
          tf.reshape(conv, [d.batch, d.positions, d.filters]),
          tf.tensor1d(
            Array.from({ length: used }, (_, k) => position(k)),
            'int32',
          ),
          1,
        );
    const windows = tf.reshape(atPositions, [d.batch, d.steps, d.poolSize, d.filters]);
    const pooled = tf.max(windows, 2, true);
    const [atMaximum] = ops.run('Equal', [ops.float32(), ops.bool('incompatible_shape_error', true)], [windows, pooled], 1);
    const maxima = tf.sum(tf.cast(atMaximum!, 'float32'), 2);
    const yBatchMajor = tf.relu(tf.add(tf.squeeze(pooled, [2]), biasIn!));
    save([input, atMaximum!, maxima, yBatchMajor]);
    return {
      value: tf.transpose(yBatchMajor, [1, 0, 2]) as tf.Tensor3D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sInput, sAtMaximum, sMaxima, sY] = saved;
        const [dPre] = ops.run('ReluGrad', [ops.float32()], [tf.transpose(dy, [1, 0, 2]), sY], 1);
        const dBias = tf.sum(dPre!, [0, 1]);
        const share = tf.expandDims(tf.div(dPre!, sMaxima!), 2);
        const [dWindows] = ops.run('SelectV2', [ops.float32()], [sAtMaximum, share, tf.scalar(0)], 1);
        let dConv = tf.reshape(dWindows!, [d.batch, used, d.filters]);
        if (!contiguous) {
          const segments = Int32Array.from({ length: d.batch * used }, (_, i) => Math.floor(i / used) * d.positions + position(i % used));
          const attrs = [ops.float32(), ops.int32Type('Tindices'), ops.int32Type('Tnumsegments')];
          dConv = ops.run('UnsortedSegmentSum', attrs, [dConv, tf.tensor2d(segments, [d.batch, used], 'int32'), tf.scalar(d.batch * d.positions, 'int32')], 1)[0]!;
        }
        const filterAttrs = [
          ops.float32(),
          ops.ints('strides', [1, 1, d.convStride, 1]),
          ops.bool('use_cudnn_on_gpu', true),
          ops.string('padding', 'VALID'),
          ops.string('data_format', 'NHWC'),
          ops.ints('dilations', [1, 1, 1, 1]),
        ];
        const filterSizes = tf.tensor1d([1, d.convKernel, 4, d.filters], 'int32');
        const [dKernel] = ops.run('Conv2DBackpropFilter', filterAttrs, [sInput, filterSizes, tf.reshape(dConv, [d.batch, 1, d.positions, d.filters])], 1);
        return [tf.reshape(dKernel!, kernel.shape), dBias];
      },
    };
  }) as (...inputs: tf.Tensor[]) => tf.Tensor;
  return op(kernel, bias) as tf.Tensor3D;
}
