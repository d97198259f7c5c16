/**
 * Custom-gradient ops for the fast path, shaped by what is fast on the wasm backend (measured,
 * tfjs 4.22, one core): only an untransposed, unbatched matMul reaches XNNPACK (~25 GFLOP/s);
 * transposed or batched matMuls (what autodiff emits for every gradient) fall to a naive loop at
 * ~2 GFLOP/s; Slice/Unpack copy their whole input per call; broadcast Equal (the max-reduction
 * gradient), Reverse and Tile are slow; every op costs ~5-25 us of dispatch. So:
 * - `matMul` differentiates with explicit transposes, keeping all three products on XNNPACK;
 * - `convPool` does conv as im2col + one matMul, then pooling, bias, ReLU and dropout in one
 *   host pass; its backward pass accumulates d kernel on the host from the argmax positions and
 *   the input bases (sparse: one-hot input), with no matMul at all;
 * - `bidirectionalRnn` hoists each direction's input projection into one matMul, runs one
 *   recurrent matMul per step and direction with the gate math on the host, and backpropagates
 *   through time by hand, with each weight gradient as one matMul over all steps.
 * Host math runs in float64 and is stored as float32: deterministic on every backend. The ops
 * read tensors back synchronously (per RNN step): cheap on CPU backends (wasm, cpu, tfjs-node);
 * correct but serialising on tfjs-node-gpu.
 * Gradients are checked against autodiff through the stock tfjs-layers model (train-network test).
 */
import * as tf from '@tensorflow/tfjs';
import type { VariantConfig } from '../../model/config.js';
import { rnnGates } from '../../model/shapes.js';
import type { ConvPoolShape } from '../conv-pool-shape.js';

/**
 * tf.customGrad with typed arguments. `forward` gets the input tensors and a `save`; tensors the
 * gradient needs must go through `save` (others are disposed once the forward pass ends) and come
 * back, in order, as `saved`. Host arrays may simply be captured.
 */
function customOp(
  forward: (inputs: tf.Tensor[], save: (tensors: tf.Tensor[]) => void) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] },
): (...inputs: tf.Tensor[]) => tf.Tensor {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => forward(args.slice(0, -1) as tf.Tensor[], args[args.length - 1] as tf.GradSaveFunc));
}

const matMulOp = customOp(([a, b], save) => {
  save([a!, b!]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy, [savedA, savedB]) => [tf.matMul(dy, tf.transpose(savedB!)), tf.matMul(tf.transpose(savedA!), dy)],
  };
});

/** a [m, k] x b [k, n], with gradients that use only untransposed matMuls. */
export function matMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return matMulOp(a, b) as tf.Tensor2D;
}

/**
 * relu(maxpool(conv1d(x, kernel)) + bias) * dropoutMask for a batch of one-hot inputs `x`
 * ([sample][position][A,C,G,T], host memory), as a [steps * batch, filters] tensor in time-major
 * order (row = step * batch + sample), ready for the RNN. Gradients flow to `kernel` and `bias`.
 * Forward: im2col + one matMul. Backward: every pooled output's gradient goes to its argmax conv
 * position only, so d kernel is accumulated on the host from the input bases, skipping the zeros of
 * the one-hot input (about 1/4 of a dense im2col^T x d conv product, and no weight packing).
 * Max-pooling before the bias and ReLU equals the Keras order (both are per-channel monotonic).
 */
export function convPool(x: Float32Array, kernel: tf.Tensor, bias: tf.Tensor, shape: ConvPoolShape, dropoutMask: Float32Array | undefined): tf.Tensor2D {
  const op = customOp(([kernelIn, biasIn]) => {
    const { batch, seqLen, convKernel, filters, positions, steps } = shape;
    const window = convKernel * 4;
    const patches = tf.tensor2d(im2col(x, shape), [batch * positions, window]);
    const conv = tf.matMul(patches, kernelIn!.reshape<tf.Tensor2D>([window, filters]));
    const pooled = poolBiasRelu(conv.dataSync() as Float32Array, biasIn!.dataSync() as Float32Array, dropoutMask, shape);
    tf.dispose([patches, conv]);
    const bases = oneHotBases(x, batch * seqLen);
    // The caller may refill its batch buffer after this pass; ambiguous bases read x again.
    const xValues = bases.includes(-1) ? x.slice() : x;
    return {
      value: tf.tensor2d(pooled.out, [steps * batch, filters]),
      gradFunc: (dy) => {
        const { dKernel, dBias } = convPoolGradients(dy.dataSync() as Float32Array, pooled, bases, xValues, shape);
        return [tf.tensor(dKernel, kernel.shape), tf.tensor1d(dBias)];
      },
    };
  });
  return op(kernel, bias) as tf.Tensor2D;
}

interface Pooled {
  /** relu(max + bias) * mask, time-major [steps * batch * filters]. */
  out: Float32Array;
  /** Per output: the conv position (within its sample) that won the max. */
  argmax: Int32Array;
  /** d out / d max: 0 where ReLU clipped, else the dropout scale. */
  slope: Float32Array;
}

function poolBiasRelu(conv: Float32Array, bias: Float32Array, dropoutMask: Float32Array | undefined, shape: ConvPoolShape): Pooled {
  const { batch, filters, positions, steps, poolSize, poolStride } = shape;
  const size = steps * batch * filters;
  const out = new Float32Array(size);
  const argmax = new Int32Array(size);
  const slope = new Float32Array(size);
  for (let t = 0; t < steps; t++) {
    const first = t * poolStride;
    for (let b = 0; b < batch; b++) {
      const o = (t * batch + b) * filters;
      // Running max over the window's rows, filters innermost (contiguous).
      const firstRow = (b * positions + first) * filters;
      for (let f = 0; f < filters; f++) {
        out[o + f] = conv[firstRow + f]!;
        argmax[o + f] = first;
      }
      for (let p = first + 1; p < first + poolSize; p++) {
        const row = (b * positions + p) * filters;
        for (let f = 0; f < filters; f++) {
          const value = conv[row + f]!;
          if (value > out[o + f]!) {
            out[o + f] = value;
            argmax[o + f] = p;
          }
        }
      }
      for (let f = 0; f < filters; f++) {
        const pre = out[o + f]! + bias[f]!;
        const scale = pre > 0 ? (dropoutMask ? dropoutMask[o + f]! : 1) : 0;
        out[o + f] = pre * scale;
        slope[o + f] = scale;
      }
    }
  }
  return { out, argmax, slope };
}

/** d kernel [convKernel * 4 * filters] and d bias from d out, via each output's argmax position. */
function convPoolGradients(dy: Float32Array, { argmax, slope }: Pooled, bases: Int8Array, x: Float32Array, shape: ConvPoolShape): { dKernel: Float32Array; dBias: Float32Array } {
  const { batch, seqLen, convKernel, convStride, filters, steps } = shape;
  const dKernel = new Float64Array(convKernel * 4 * filters);
  const dBias = new Float64Array(filters);
  for (let t = 0; t < steps; t++) {
    for (let b = 0; b < batch; b++) {
      const o = (t * batch + b) * filters;
      for (let f = 0; f < filters; f++) {
        const g = dy[o + f]! * slope[o + f]!;
        if (g === 0) continue;
        dBias[f]! += g;
        const start = b * seqLen + argmax[o + f]! * convStride;
        for (let k = 0; k < convKernel; k++) {
          const base = bases[start + k]!;
          if (base >= 0) {
            dKernel[(k * 4 + base) * filters + f]! += g;
          } else {
            for (let c = 0; c < 4; c++) dKernel[(k * 4 + c) * filters + f]! += x[(start + k) * 4 + c]! * g;
          }
        }
      }
    }
  }
  return { dKernel: Float32Array.from(dKernel), dBias: Float32Array.from(dBias) };
}

/** The im2col matrix [batch * positions, convKernel * 4]: row (b, p) is the window at p * stride. */
function im2col(x: Float32Array, shape: ConvPoolShape): Float32Array {
  const { batch, seqLen, convKernel, convStride, positions } = shape;
  const window = convKernel * 4;
  const out = new Float32Array(batch * positions * window);
  let o = 0;
  for (let b = 0; b < batch; b++) {
    for (let p = 0; p < positions; p++) {
      const start = (b * seqLen + p * convStride) * 4;
      for (let i = 0; i < window; i++) out[o++] = x[start + i]!;
    }
  }
  return out;
}

/** Per sequence position: the base index 0-3 of a pure one-hot column, else -1 (ambiguity codes). */
function oneHotBases(x: Float32Array, positions: number): Int8Array {
  const bases = new Int8Array(positions);
  for (let i = 0; i < positions; i++) {
    let base = -1;
    let ones = 0;
    let others = 0;
    for (let c = 0; c < 4; c++) {
      const value = x[i * 4 + c]!;
      if (value === 1) {
        ones++;
        base = c;
      } else if (value !== 0) {
        others++;
      }
    }
    bases[i] = ones === 1 && others === 0 ? base : -1;
  }
  return bases;
}

export interface RnnShape {
  batch: number;
  steps: number;
  units: number;
  cell: VariantConfig['rnn'];
  merge: VariantConfig['rnnMerge'];
  returnSequences: boolean;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** tanh through one exp: about twice as fast as Math.tanh in V8. */
function tanh(x: number): number {
  const e = Math.exp(-2 * Math.abs(x));
  const r = (1 - e) / (1 + e);
  return x < 0 ? -r : r;
}

/** One direction's forward pass, kept for backpropagation: host arrays indexed by time position. */
interface DirectionTrace {
  /** Hidden state after each position [steps * batch * units]. */
  h: Float32Array;
  /** Gate activations [steps * batch * gates * units]: LSTM i, f, c~, o; GRU z, r, hh. */
  gates: Float32Array;
  /** LSTM only: cell state and its tanh [steps * batch * units]. */
  c: Float32Array;
  tanhC: Float32Array;
}

/**
 * Bidirectional LSTM/GRU (tfjs-layers semantics and weight layout: LSTM gates i, f, c, o; GRU
 * z, r, h with the reset gate applied before the recurrent matMul) over x [steps * batch,
 * features] (time-major). `weights`: forward kernel, recurrent kernel, bias, then the same for
 * the backward direction. Returns [batch, steps * merged] (Keras' Flatten order) with return
 * sequences, else [batch, merged] (each direction's last processed step).
 */
export function bidirectionalRnn(x: tf.Tensor2D, weights: readonly tf.Tensor[], shape: RnnShape): tf.Tensor2D {
  const { batch, steps, units: u, cell, merge, returnSequences } = shape;
  const width = rnnGates(cell) * u;
  const rowSize = batch * width;
  const stateSize = batch * u;
  const rows = steps * batch;
  const merged = merge === 'concat' ? 2 * u : u;
  const outSteps = returnSequences ? steps : 1;
  /** Time position of direction d's output number o. */
  const outputPosition = (d: number, o: number) => (returnSequences ? o : d === 0 ? steps - 1 : 0);
  /** Time position of direction d's s-th processed step. */
  const position = (d: number, s: number) => (d === 0 ? s : steps - 1 - s);

  const op = customOp((inputs, save) => {
    save(inputs);
    const [xIn, ...w] = inputs as tf.Tensor2D[];
    const traces: DirectionTrace[] = [];
    for (let d = 0; d < 2; d++) {
      const [kernel, recurrent, bias] = [w[3 * d]!, w[3 * d + 1]!, w[3 * d + 2]!];
      // Hoisted input projection: one matMul (with the bias) over every step.
      const projected = tf.fused.matMul({ a: xIn!, b: kernel, bias });
      const p = projected.dataSync() as Float32Array;
      // Reused across steps: XNNPACK caches its packed weights per right-hand tensor.
      const blocks = cell === 'lstm' ? [recurrent] : [columns(recurrent, 0, 2 * u), columns(recurrent, 2 * u, u)];
      const trace: DirectionTrace = {
        h: new Float32Array(steps * stateSize),
        gates: new Float32Array(steps * rowSize),
        c: new Float32Array(cell === 'lstm' ? steps * stateSize : 0),
        tanhC: new Float32Array(cell === 'lstm' ? steps * stateSize : 0),
      };
      for (let s = 0; s < steps; s++) {
        const t = position(d, s);
        const tPrev = s > 0 ? position(d, s - 1) : -1;
        const hPrev = tPrev >= 0 ? trace.h.subarray(tPrev * stateSize, (tPrev + 1) * stateSize) : undefined;
        if (cell === 'lstm') lstmStep(p, trace, t, tPrev, hPrev && hostMatMul(hPrev, batch, blocks[0]!), batch, u);
        else gruStep(p, trace, t, hPrev, blocks[0]!, blocks[1]!, batch, u);
      }
      tf.dispose([projected, ...(cell === 'gru' ? blocks : [])]);
      traces.push(trace);
    }

    const out = new Float32Array(batch * outSteps * merged);
    for (let o = 0; o < outSteps; o++) {
      const hf = traces[0]!.h.subarray(outputPosition(0, o) * stateSize);
      const hb = traces[1]!.h.subarray(outputPosition(1, o) * stateSize);
      for (let b = 0; b < batch; b++) {
        const base = (b * outSteps + o) * merged;
        for (let j = 0; j < u; j++) {
          const f = hf[b * u + j]!;
          const r = hb[b * u + j]!;
          if (merge === 'concat') {
            out[base + j] = f;
            out[base + u + j] = r;
          } else {
            out[base + j] = merge === 'sum' ? f + r : merge === 'mul' ? f * r : (f + r) / 2;
          }
        }
      }
    }

    return {
      value: tf.tensor2d(out, [batch, outSteps * merged]),
      gradFunc: (dy, saved) => {
        const [savedX, ...savedW] = saved as tf.Tensor2D[];
        const dyValues = dy.dataSync();
        const xT = tf.transpose<tf.Tensor2D>(savedX!);
        let dx: tf.Tensor | undefined;
        const grads: tf.Tensor[] = [];
        for (let d = 0; d < 2; d++) {
          const [kernel, recurrent] = [savedW[3 * d]!, savedW[3 * d + 1]!];
          const trace = traces[d]!;
          // d loss / d h at each time position, from the merge.
          const dh = new Float32Array(steps * stateSize);
          const other = traces[1 - d]!.h;
          for (let o = 0; o < outSteps; o++) {
            const target = outputPosition(d, o) * stateSize;
            const otherAt = outputPosition(1 - d, o) * stateSize;
            for (let b = 0; b < batch; b++) {
              const base = (b * outSteps + o) * merged + (merge === 'concat' ? d * u : 0);
              for (let j = 0; j < u; j++) {
                const g = dyValues[base + j]!;
                const k = b * u + j;
                dh[target + k] = merge === 'mul' ? g * other[otherAt + k]! : merge === 'ave' ? g / 2 : g;
              }
            }
          }
          const transposed =
            cell === 'lstm' ? [tf.transpose<tf.Tensor2D>(recurrent)] : [tf.transpose<tf.Tensor2D>(columns(recurrent, 0, 2 * u)), tf.transpose<tf.Tensor2D>(columns(recurrent, 2 * u, u))];
          const back = backpropagate(trace, dh, transposed, d, shape, position);
          const dz = tf.tensor2d(back.dz, [rows, width]);
          const dKernel = tf.matMul(xT, dz);
          const dRecurrent =
            cell === 'lstm'
              ? tf.matMul(tf.tensor2d(back.hPrevT, [u, rows]), dz)
              : tf.concat(
                  [
                    tf.matMul(tf.tensor2d(back.hPrevT, [u, rows]), tf.tensor2d(back.dzGates!, [rows, 2 * u])),
                    tf.matMul(tf.tensor2d(back.rhPrevT!, [u, rows]), tf.tensor2d(back.dzCandidate!, [rows, u])),
                  ],
                  1,
                );
          const dBias = columnSums(back.dz, rows, width);
          const dxPart = tf.matMul(dz, tf.transpose<tf.Tensor2D>(kernel));
          dx = dx ? tf.add(dx, dxPart) : dxPart;
          grads.push(dKernel, dRecurrent, tf.tensor1d(dBias));
        }
        return [dx!, ...grads];
      },
    };
  });
  return op(x, ...weights) as tf.Tensor2D;
}

/** One LSTM step at time position t (previous position tPrev, -1 for none). */
function lstmStep(p: Float32Array, trace: DirectionTrace, t: number, tPrev: number, recurrentPart: Float32Array | undefined, batch: number, u: number): void {
  const width = 4 * u;
  const pOffset = t * batch * width;
  const sOffset = t * batch * u;
  const sPrevOffset = tPrev * batch * u;
  const { gates, c, tanhC, h } = trace;
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < u; j++) {
      const g = b * width + j;
      const k = b * u + j;
      let zi = p[pOffset + g]!;
      let zf = p[pOffset + g + u]!;
      let zc = p[pOffset + g + 2 * u]!;
      let zo = p[pOffset + g + 3 * u]!;
      if (recurrentPart) {
        zi += recurrentPart[g]!;
        zf += recurrentPart[g + u]!;
        zc += recurrentPart[g + 2 * u]!;
        zo += recurrentPart[g + 3 * u]!;
      }
      const i = sigmoid(zi);
      const f = sigmoid(zf);
      const candidate = tanh(zc);
      const o = sigmoid(zo);
      const state = f * (tPrev >= 0 ? c[sPrevOffset + k]! : 0) + i * candidate;
      const tc = tanh(state);
      gates[pOffset + g] = i;
      gates[pOffset + g + u] = f;
      gates[pOffset + g + 2 * u] = candidate;
      gates[pOffset + g + 3 * u] = o;
      c[sOffset + k] = state;
      tanhC[sOffset + k] = tc;
      h[sOffset + k] = o * tc;
    }
  }
}

/** One GRU step: z, r = sigmoid(x_zr + h R_zr); hh = tanh(x_h + (r * h) R_h); h = z h + (1 - z) hh. */
function gruStep(p: Float32Array, trace: DirectionTrace, t: number, hPrev: Float32Array | undefined, recurrentZr: tf.Tensor2D, recurrentH: tf.Tensor2D, batch: number, u: number): void {
  const width = 3 * u;
  const pOffset = t * batch * width;
  const sOffset = t * batch * u;
  const { gates, h } = trace;
  const zr = hPrev && hostMatMul(hPrev, batch, recurrentZr);
  const rh = new Float32Array(batch * u);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < u; j++) {
      const g = b * width + j;
      const z = sigmoid(p[pOffset + g]! + (zr ? zr[b * 2 * u + j]! : 0));
      const r = sigmoid(p[pOffset + g + u]! + (zr ? zr[b * 2 * u + u + j]! : 0));
      gates[pOffset + g] = z;
      gates[pOffset + g + u] = r;
      if (hPrev) rh[b * u + j] = r * hPrev[b * u + j]!;
    }
  }
  const recurrentPart = hPrev && hostMatMul(rh, batch, recurrentH);
  for (let b = 0; b < batch; b++) {
    for (let j = 0; j < u; j++) {
      const g = b * width + j;
      const k = b * u + j;
      const candidate = tanh(p[pOffset + g + 2 * u]! + (recurrentPart ? recurrentPart[k]! : 0));
      gates[pOffset + g + 2 * u] = candidate;
      const z = gates[pOffset + g]!;
      h[sOffset + k] = z * (hPrev ? hPrev[k]! : 0) + (1 - z) * candidate;
    }
  }
}

interface Backpropagated {
  /** d pre-activation at every time position, time-major like x: [steps * batch, width]. */
  dz: Float32Array;
  /** Each row's previous hidden state, transposed [units, steps * batch] (zeros at the first step). */
  hPrevT: Float32Array;
  /** GRU only: dz split into the z/r gates [rows, 2u] and the candidate [rows, u], and (r * hPrev)^T. */
  dzGates?: Float32Array;
  dzCandidate?: Float32Array;
  rhPrevT?: Float32Array;
}

/**
 * Backpropagation through time for one direction, given d loss / d h at every position (`dh`,
 * modified in place to add the recurrent gradient). `transposed`: R^T (LSTM) or R_zr^T, R_h^T (GRU).
 */
function backpropagate(trace: DirectionTrace, dh: Float32Array, transposed: tf.Tensor2D[], d: number, shape: RnnShape, position: (d: number, s: number) => number): Backpropagated {
  const { batch, steps, units: u, cell } = shape;
  const width = rnnGates(cell) * u;
  const rowSize = batch * width;
  const stateSize = batch * u;
  const rows = steps * batch;
  const { gates, h, c, tanhC } = trace;
  const dz = new Float32Array(steps * rowSize);
  const hPrevT = new Float32Array(u * rows);
  const gru = cell === 'gru' ? { dzGates: new Float32Array(rows * 2 * u), dzCandidate: new Float32Array(rows * u), rhPrevT: new Float32Array(u * rows) } : undefined;
  let dcNext: Float32Array | undefined;
  for (let s = steps - 1; s >= 0; s--) {
    const t = position(d, s);
    const tPrev = s > 0 ? position(d, s - 1) : -1;
    const pOffset = t * rowSize;
    const sOffset = t * stateSize;
    const sPrev = tPrev * stateSize;
    let dhPrev: Float32Array | undefined;
    if (cell === 'lstm') {
      const dcPrev = new Float32Array(stateSize);
      for (let b = 0; b < batch; b++) {
        for (let j = 0; j < u; j++) {
          const k = b * u + j;
          const g = pOffset + b * width + j;
          const i = gates[g]!;
          const f = gates[g + u]!;
          const candidate = gates[g + 2 * u]!;
          const o = gates[g + 3 * u]!;
          const tc = tanhC[sOffset + k]!;
          const dhk = dh[sOffset + k]!;
          const dc = dhk * o * (1 - tc * tc) + (dcNext ? dcNext[k]! : 0);
          dz[g] = dc * candidate * i * (1 - i);
          dz[g + u] = tPrev >= 0 ? dc * c[sPrev + k]! * f * (1 - f) : 0;
          dz[g + 2 * u] = dc * i * (1 - candidate * candidate);
          dz[g + 3 * u] = dhk * tc * o * (1 - o);
          dcPrev[k] = dc * f;
        }
      }
      dcNext = dcPrev;
      if (tPrev >= 0) dhPrev = hostMatMul(dz.subarray(pOffset, pOffset + rowSize), batch, transposed[0]!);
    } else {
      const dCandidate = new Float32Array(stateSize);
      for (let b = 0; b < batch; b++) {
        for (let j = 0; j < u; j++) {
          const k = b * u + j;
          const g = pOffset + b * width + j;
          const z = gates[g]!;
          const candidate = gates[g + 2 * u]!;
          const dhk = dh[sOffset + k]!;
          dCandidate[k] = dhk * (1 - z) * (1 - candidate * candidate);
          dz[g] = dhk * ((tPrev >= 0 ? h[sPrev + k]! : 0) - candidate) * z * (1 - z);
          dz[g + 2 * u] = dCandidate[k]!;
        }
      }
      if (tPrev >= 0) {
        // d(r * hPrev) = d candidate R_h^T, then through r into its pre-activation.
        const dRh = hostMatMul(dCandidate, batch, transposed[1]!);
        const dzr = new Float32Array(batch * 2 * u);
        dhPrev = new Float32Array(stateSize);
        for (let b = 0; b < batch; b++) {
          for (let j = 0; j < u; j++) {
            const k = b * u + j;
            const g = pOffset + b * width + j;
            const r = gates[g + u]!;
            dz[g + u] = dRh[k]! * h[sPrev + k]! * r * (1 - r);
            dzr[b * 2 * u + j] = dz[g]!;
            dzr[b * 2 * u + u + j] = dz[g + u]!;
            dhPrev[k] = dh[sOffset + k]! * gates[g]! + dRh[k]! * r;
          }
        }
        const viaGates = hostMatMul(dzr, batch, transposed[0]!);
        for (let k = 0; k < stateSize; k++) dhPrev[k]! += viaGates[k]!;
      }
    }
    if (dhPrev) for (let k = 0; k < stateSize; k++) dh[sPrev + k]! += dhPrev[k]!;
    // Left operands of the recurrent weight gradients, transposed: column = row of x.
    for (let b = 0; b < batch; b++) {
      const row = t * batch + b;
      for (let j = 0; j < u; j++) {
        const hp = tPrev >= 0 ? h[sPrev + b * u + j]! : 0;
        hPrevT[j * rows + row] = hp;
        if (gru) {
          const g = pOffset + b * width + j;
          gru.rhPrevT[j * rows + row] = gates[g + u]! * hp;
          gru.dzGates[row * 2 * u + j] = dz[g]!;
          gru.dzGates[row * 2 * u + u + j] = dz[g + u]!;
          gru.dzCandidate[row * u + j] = dz[g + 2 * u]!;
        }
      }
    }
  }
  return { dz, hPrevT, ...gru };
}

function columnSums(matrix: Float32Array, rows: number, width: number): Float32Array {
  const sums = new Float64Array(width);
  for (let r = 0; r < rows; r++) {
    const offset = r * width;
    for (let j = 0; j < width; j++) sums[j]! += matrix[offset + j]!;
  }
  return Float32Array.from(sums);
}

/** left [rows, right rows] (a host array) x right, on the backend's matMul; returns a host array. */
function hostMatMul(left: Float32Array, rows: number, right: tf.Tensor2D): Float32Array {
  const leftTensor = tf.tensor2d(left, [rows, right.shape[0]]);
  const product = tf.matMul(leftTensor, right);
  const values = product.dataSync() as Float32Array;
  leftTensor.dispose();
  product.dispose();
  return values;
}

/** Column block [from, from + width) of a matrix; the same tensor when that is all of it. */
function columns(matrix: tf.Tensor2D, from: number, width: number): tf.Tensor2D {
  return from === 0 && width === matrix.shape[1] ? matrix : tf.slice(matrix, [0, from], [matrix.shape[0], width]);
}
