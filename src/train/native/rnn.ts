/**
 * One direction of an LSTM or GRU over a whole time-major sequence, as a custom-gradient op that
 * runs TensorFlow's fused RNN kernels by name (tensorflow-ops.ts): no host read-back, forward or
 * backward. Weights stay in the tfjs-layers layout (kernel [I, gates * U], recurrent kernel
 * [U, gates * U], bias [gates * U]); the conversion to each kernel's layout happens here, on the
 * device, and the gradients are converted back.
 *
 * Kernels and their semantics (checked against autodiff through the stock tfjs-layers model in
 * test/unit/train-native.test.ts):
 * - LSTM, CPU: `BlockLSTMV2` / `BlockLSTMGradV2`, the whole sequence in one call each. V2's gate
 *   order is i, f, c, o (measured: bias block k feeds gate k), the same as Keras/tfjs-layers, and it
 *   has no forget_bias, so w = [kernel; recurrent] and b = bias as they are.
 * - GRU, CPU: `GRUBlockCell` / `GRUBlockCellGrad` per step (TensorFlow has no fused whole-sequence
 *   GRU on CPU). GRUBlockCell is reset-before: c = tanh([x, r * h] W_c + b_c), h = u h + (1 - u) c,
 *   exactly tfjs-layers' GRU (reset_after false), so the exported model matches. Its gates are
 *   [r, u] where tfjs-layers orders [z, r, h] (u = z): columns are reordered at the boundary.
 * - GPU (tfjs-node-gpu with a CUDA device), behind the CUDNN_SWITCH: `CudnnRNNV3` /
 *   `CudnnRNNBackpropV3` for LSTM (cuDNN's LSTM equals Keras' with gate order i, f, c, o; cuDNN has
 *   two biases, the recurrent one is fed zeros). cuDNN's GRU is reset-after, which tfjs-layers
 *   cannot express, so GRU keeps GRUBlockCell (which has a GPU kernel) on GPU too. Never run here.
 */
import * as tf from '@tensorflow/tfjs';
import { CUDNN_SWITCH } from '../process-env.js';
import type { VariantConfig } from '../../model/config.js';
import { TensorFlowOps } from './tensorflow-ops.js';

/** Which TensorFlow kernel family runs the RNN. */
export type RnnKernel = 'block' | 'cudnn';

export function rnnKernelFor(cell: VariantConfig['rnn'], ops: TensorFlowOps, env: NodeJS.ProcessEnv = process.env): RnnKernel {
  return cell === 'lstm' && ops.onGpu && env[CUDNN_SWITCH] === '1' ? 'cudnn' : 'block';
}

type SequenceOp = (xs: tf.Tensor3D, kernel: tf.Tensor, recurrent: tf.Tensor, bias: tf.Tensor) => tf.Tensor3D;

/** h at every step [T, B, U] of one direction over xs [T, B, I] (step 0 first). */
export function rnnSequence(cell: VariantConfig['rnn'], kernel: RnnKernel): SequenceOp {
  if (cell === 'gru') return gruSequence;
  return kernel === 'cudnn' ? cudnnLstmSequence : lstmSequence;
}

function customSequenceOp(
  forward: (
    inputs: [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D],
    save: (tensors: tf.Tensor[]) => void,
  ) => { value: tf.Tensor3D; gradFunc: (dy: tf.Tensor3D, saved: tf.Tensor[]) => tf.Tensor[] },
): SequenceOp {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => forward(args.slice(0, 4) as [tf.Tensor3D, tf.Tensor2D, tf.Tensor2D, tf.Tensor1D], args[4] as tf.GradSaveFunc)) as (
    ...inputs: tf.Tensor[]
  ) => tf.Tensor;
  return (xs, kernel, recurrent, bias) => op(xs, kernel, recurrent, bias) as tf.Tensor3D;
}

const lstmSequence = customSequenceOp(([xs, kernel, recurrent, bias], save) => {
  const ops = TensorFlowOps.active();
  const [steps, batch, inputs] = xs.shape;
  const units = recurrent.shape[0];
  const w = tf.concat([kernel, recurrent], 0);
  const zeros = tf.zeros([batch, units]);
  const peephole = tf.zeros([units]);
  const attrs = [ops.float('cell_clip', -1), ops.bool('use_peephole', false), ops.float32()];
  // i, cs, f, o, ci, co, h: every one [T, B, U].
  const outputs = ops.run('BlockLSTMV2', attrs, [ops.int64(steps), xs, zeros, zeros, w, peephole, peephole, peephole, bias], 7);
  save([xs, w, bias, zeros, peephole, ...outputs]);
  return {
    value: outputs[6] as tf.Tensor3D,
    gradFunc: (dy, saved) => {
      const [sx, sw, sb, sZeros, sPeephole, ...sOutputs] = saved;
      const gradAttrs = [ops.bool('use_peephole', false), ops.float32()];
      const csGrad = tf.zerosLike(dy);
      const [dx, , , dw, , , , db] = ops.run('BlockLSTMGradV2', gradAttrs, [ops.int64(steps), sx, sZeros, sZeros, sw, sPeephole, sPeephole, sPeephole, sb, ...sOutputs, csGrad, dy], 8);
      // Freed now, not when the whole backward pass ends: the eager step's peak comes later, at
      // the conv's gradient (full DanQ: 0.13 GB of gate buffers for the two directions).
      tf.dispose([csGrad, ...sOutputs]);
      const [dKernel, dRecurrent] = tf.split(dw!, [inputs, units], 0);
      return [dx!, dKernel!, dRecurrent!, db!];
    },
  };
});

/** Columns [from, from + width) of a [rows, cols] matrix or of a vector. */
function block(t: tf.Tensor, from: number, width: number): tf.Tensor {
  return t.rank === 1 ? tf.slice(t, [from], [width]) : tf.slice(t, [0, from], [t.shape[0], width]);
}

const gruSequence = customSequenceOp(([xs, kernel, recurrent, bias], save) => {
  const ops = TensorFlowOps.active();
  const [steps, batch, inputs] = xs.shape;
  const u = recurrent.shape[0];
  const attrs = [ops.float32()];
  // tfjs-layers [z, r, h] -> GRUBlockCell w_ru [r, u = z] over [x; h], w_c over [x; r h].
  const ru = (t: tf.Tensor) => tf.concat([block(t, u, u), block(t, 0, u)], t.rank - 1);
  const wRu = tf.concat([ru(kernel), ru(recurrent)], 0);
  const wC = tf.concat([block(kernel, 2 * u, u), block(recurrent, 2 * u, u)], 0);
  const bRu = ru(bias);
  const bC = block(bias, 2 * u, u);
  const xSteps = tf.unstack(xs);
  let h: tf.Tensor = tf.zeros([batch, u]);
  const hs: tf.Tensor[] = [h];
  const gates: tf.Tensor[] = [];
  for (let t = 0; t < steps; t++) {
    const [r, uGate, c, hNext] = ops.run('GRUBlockCell', attrs, [xSteps[t], h, wRu, wC, bRu, bC], 4);
    gates.push(r!, uGate!, c!);
    hs.push(hNext!);
    h = hNext!;
  }
  const value = tf.stack(hs.slice(1)) as tf.Tensor3D;
  save([xs, wRu, wC, bRu, bC, ...hs.slice(0, steps), ...gates]);
  return {
    value,
    gradFunc: (dy, saved) => {
      const [sx, sWRu, sWC, sBRu, sBC] = saved;
      const hPrev = saved.slice(5, 5 + steps);
      const sGates = saved.slice(5 + steps);
      const sxSteps = tf.unstack(sx!);
      const dySteps = tf.unstack(dy);
      const dxs = new Array<tf.Tensor>(steps);
      const dRu = new Array<tf.Tensor>(steps);
      const dC = new Array<tf.Tensor>(steps);
      let dhNext: tf.Tensor | undefined;
      for (let t = steps - 1; t >= 0; t--) {
        const dh = dhNext ? tf.add(dySteps[t]!, dhNext) : dySteps[t]!;
        const [r, uGate, c] = sGates.slice(3 * t, 3 * t + 3);
        const [dx, dhPrev, dCBar, dRuBar] = ops.run('GRUBlockCellGrad', attrs, [sxSteps[t], hPrev[t], sWRu, sWC, sBRu, sBC, r, uGate, c, dh], 4);
        dxs[t] = dx!;
        dRu[t] = dRuBar!;
        dC[t] = dCBar!;
        dhNext = dhPrev;
      }
      // Weight gradients over all steps at once: [x, h_prev]^T d_ru and [x, r h_prev]^T d_c.
      const rows = steps * batch;
      const x2 = tf.reshape(sx!, [rows, inputs]);
      const h2 = tf.reshape(tf.stack(hPrev), [rows, u]);
      const r2 = tf.reshape(tf.stack(sGates.filter((_, k) => k % 3 === 0)), [rows, u]);
      const dRu2 = tf.reshape(tf.stack(dRu), [rows, 2 * u]);
      const dC2 = tf.reshape(tf.stack(dC), [rows, u]);
      const dRuX = tf.matMul(x2, dRu2, true, false);
      const dRuH = tf.matMul(h2, dRu2, true, false);
      const dCX = tf.matMul(x2, dC2, true, false);
      const dCH = tf.matMul(tf.mul(r2, h2), dC2, true, false);
      // Back to [z, r, h]: z = u is the second block of [r, u].
      const zrh = (dRuPart: tf.Tensor, dCPart: tf.Tensor) => tf.concat([block(dRuPart, u, u), block(dRuPart, 0, u), dCPart], dCPart.rank - 1);
      return [tf.stack(dxs), zrh(dRuX, dCX), zrh(dRuH, dCH), zrh(tf.sum(dRu2, 0), tf.sum(dC2, 0))];
    },
  };
});

/**
 * LSTM through cuDNN (tfjs-node-gpu). CudnnRNNV3 takes its weights as one opaque buffer, built
 * from the canonical per-gate matrices by CudnnRNNCanonicalToParamsV2 (order: the 4 input
 * matrices W_i, W_f, W_c, W_o [U, I], then the 4 recurrent ones [U, U], then 8 biases) and split
 * back by CudnnRNNParamsToCanonicalV2 for the gradient. Input is time-major [T, B, I].
 * NOT RUN: no machine reachable from this project has a CUDA 12 GPU.
 */
const cudnnLstmSequence = customSequenceOp(([xs, kernel, recurrent, bias], save) => {
  const ops = TensorFlowOps.active();
  const [steps, batch, inputs] = xs.shape;
  const u = recurrent.shape[0];
  const rnnAttrs = [
    ops.string('rnn_mode', 'lstm'),
    ops.string('input_mode', 'linear_input'),
    ops.string('direction', 'unidirectional'),
    ops.float('dropout', 0),
    ops.int('seed', 0),
    ops.int('seed2', 0),
    ops.int('num_proj', 0),
    ops.bool('time_major', true),
    ops.float32(),
  ];
  const sizes = [tf.scalar(1, 'int32'), tf.scalar(u, 'int32'), tf.scalar(inputs, 'int32')];
  const gateBlocks = (t: tf.Tensor) => [0, 1, 2, 3].map((g) => block(t, g * u, u));
  const weightsCanonical = [...gateBlocks(kernel).map((w) => tf.transpose(w)), ...gateBlocks(recurrent).map((w) => tf.transpose(w))];
  const biasesCanonical = [...gateBlocks(bias), ...gateBlocks(bias).map((b) => tf.zerosLike(b))];
  const canonicalAttrs = [ops.int('num_params_weights', 8), ops.int('num_params_biases', 8), ...rnnAttrs.filter((a) => a.name !== 'time_major')];
  const [params] = ops.run('CudnnRNNCanonicalToParamsV2', canonicalAttrs, [...sizes, ...weightsCanonical, ...biasesCanonical], 1);
  const zeros = tf.zeros([1, batch, u]);
  const seqLengths = tf.fill([batch], steps, 'int32');
  const forwardAttrs = [...rnnAttrs, ops.bool('is_training', true)];
  // output [T, B, U], output_h, output_c, reserve_space, host_reserved.
  const outputs = ops.run('CudnnRNNV3', forwardAttrs, [xs, zeros, zeros, params, seqLengths], 5);
  save([xs, zeros, params!, seqLengths, ...outputs]);
  return {
    value: outputs[0] as tf.Tensor3D,
    gradFunc: (dy, saved) => {
      const [sx, sZeros, sParams, sLengths, output, outputH, outputC, reserve, hostReserved] = saved;
      const [dx, , , dParams] = ops.run(
        'CudnnRNNBackpropV3',
        rnnAttrs,
        [sx, sZeros, sZeros, sParams, sLengths, output, outputH, outputC, dy, tf.zerosLike(outputH!), tf.zerosLike(outputC!), reserve, hostReserved],
        4,
      );
      const toCanonical = ops.run('CudnnRNNParamsToCanonicalV2', canonicalAttrs, [...sizes, dParams], 16);
      const dW = toCanonical.slice(0, 8).map((w) => tf.transpose(w));
      const dB = toCanonical.slice(8);
      return [
        dx!,
        tf.concat(dW.slice(0, 4), 1),
        tf.concat(dW.slice(4, 8), 1),
        // Both cuDNN biases receive the same gradient; only the input one is a tfjs-layers weight.
        tf.concat(dB.slice(0, 4), 0),
      ];
    },
  };
});
