/**
 * relu(maxpool(conv1d(x)) + bias) as one custom-gradient op of TensorFlow ops, time-major
 * [steps, batch, filters] for the RNN: Conv2D over the uploaded one-hot batch [batch, 1, bases,
 * 4] (the sequence along the width, as Keras' Conv1D: along the height oneDNN's filter gradient is
 * 2.5x slower), MaxPool, bias and ReLU (max-pooling first is equal: both are per-channel
 * monotonic); backward ReluGrad, MaxPoolGrad and Conv2DBackpropFilter, no gradient w.r.t. the input.
 * The conv reads only the bases some pool window reads, so a VALID pool covers every conv position.
 * Why these kernels: measured per kernel inside the compiled step (bench:profile --graph, TF 2.21
 * with oneDNN, one thread, mid model), they cost what Keras' Conv1D + MaxPooling1D cost, where
 * im2col on the host + MatMul took 20% of a DanQ-lite step (and uploaded 17x the batch) and the
 * max mask (Equal, count, SelectV2 share) took 4x MaxPool + MaxPoolGrad. The conv output is kept
 * for MaxPoolGrad (full DanQ: 125 MB through the backward pass). Ties come from identical input
 * windows (repeats, runs of N), so whichever maximum MaxPoolGrad picks, the kernel's gradient is
 * the same. The eager path runs the same ops, at the same cost as the ops they replace.
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
  const window = [ops.ints('ksize', [1, 1, d.poolSize, 1]), ops.ints('strides', [1, 1, d.poolStride, 1]), ops.string('padding', 'VALID'), ops.string('data_format', 'NHWC'), ops.float32()];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [kernelIn, biasIn] = args as tf.Tensor[];
    const save = args[2] as tf.GradSaveFunc;
    const conv = tf.conv2d(input, tf.reshape<tf.Rank.R4>(kernelIn!, [1, d.convKernel, 4, d.filters]), [1, d.convStride], 'valid');
    const [pooled] = ops.run('MaxPool', window, [conv], 1);
    const yBatchMajor = tf.relu(tf.add(tf.reshape(pooled!, [d.batch, d.steps, d.filters]), biasIn!));
    save([input, conv, pooled!, yBatchMajor]);
    return {
      value: tf.transpose(yBatchMajor, [1, 0, 2]) as tf.Tensor3D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sInput, sConv, sPooled, sY] = saved;
        const [dPre] = ops.run('ReluGrad', [ops.float32()], [tf.transpose(dy, [1, 0, 2]), sY], 1);
        const dBias = tf.sum(dPre!, [0, 1]);
        const [dConv] = ops.run('MaxPoolGrad', window, [sConv, sPooled, tf.reshape(dPre!, [d.batch, 1, d.steps, d.filters])], 1);
        const filterAttrs = [
          ops.float32(),
          ops.ints('strides', [1, 1, d.convStride, 1]),
          ops.bool('use_cudnn_on_gpu', true),
          ops.string('padding', 'VALID'),
          ops.string('data_format', 'NHWC'),
          ops.ints('dilations', [1, 1, 1, 1]),
        ];
        const filterSizes = tf.tensor1d([1, d.convKernel, 4, d.filters], 'int32');
        const [dKernel] = ops.run('Conv2DBackpropFilter', filterAttrs, [sInput, filterSizes, dConv], 1);
        return [tf.reshape(dKernel!, kernel.shape), dBias];
      },
    };
  }) as (...inputs: tf.Tensor[]) => tf.Tensor;
  return op(kernel, bias) as tf.Tensor3D;
}
