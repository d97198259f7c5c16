/**
 * Adam and RMSprop with Keras' update rules and defaults, written out so that their whole state
 * (step count + slot tensors) is ours to checkpoint and restore bit-exactly.
 * - Adam (tf.keras): m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
 *   w -= lr sqrt(1-b2^t) / (1-b1^t) * m / (sqrt(v) + eps); b1 0.9, b2 0.999, eps 1e-7.
 * - RMSprop (tf.keras, not centered, no momentum): a = rho a + (1-rho) g^2;
 *   w -= lr g / (sqrt(a) + eps); rho 0.9, eps 1e-7.
 * Differences from tfjs' own optimizers: tfjs RMSprop divides by sqrt(a + eps) and both default
 * to eps 1e-8. Differences from Keras: none in the update rule; the bias-correction factor is
 * computed in float64 on the host, where TF computes it in float32.
 */
import * as tf from '@tensorflow/tfjs';
import type { VariantConfig } from '../model/config.js';

export const EPSILON = 1e-7;
export const ADAM_BETA1 = 0.9;
export const ADAM_BETA2 = 0.999;
export const RMSPROP_RHO = 0.9;

export interface OptimizerState {
  /** Updates applied so far. */
  step: number;
  /** Slot values, per weight in order: Adam [m, v], RMSprop [a]. */
  slots: Float32Array[];
}

/** What training needs of an optimizer; native/optimizer.ts has the fused-kernel one. */
export interface WeightOptimizer {
  /** Applies one update; `grads[i]` is the gradient of `weights[i]`. Does not dispose grads. */
  apply(grads: readonly tf.Tensor[]): void;
  getState(): OptimizerState;
  setState(state: OptimizerState): void;
  dispose(): void;
}

export class Optimizer implements WeightOptimizer {
  private step = 0;
  /** slots[k][i]: slot k of weight i. */
  private readonly slots: tf.Variable[][];

  constructor(
    private readonly kind: VariantConfig['optimizer'],
    private readonly learningRate: number,
    private readonly weights: readonly tf.Variable[],
  ) {
    const slotCount = kind === 'adam' ? 2 : 1;
    this.slots = tf.tidy(() => Array.from({ length: slotCount }, () => weights.map((w) => tf.variable(tf.zerosLike(w), false))));
  }

  /** Applies one update; `grads[i]` is the gradient of `weights[i]`. Does not dispose grads. */
  apply(grads: readonly tf.Tensor[]): void {
    this.step++;
    tf.tidy(() => {
      if (this.kind === 'adam') {
        const t = this.step;
        const stepSize = (this.learningRate * Math.sqrt(1 - ADAM_BETA2 ** t)) / (1 - ADAM_BETA1 ** t);
        this.weights.forEach((w, i) => {
          const [m, v] = [this.slots[0]![i]!, this.slots[1]![i]!];
          const g = grads[i]!;
          m.assign(tf.add(tf.mul(m, ADAM_BETA1), tf.mul(g, 1 - ADAM_BETA1)));
          v.assign(tf.add(tf.mul(v, ADAM_BETA2), tf.mul(tf.square(g), 1 - ADAM_BETA2)));
          w.assign(tf.sub(w, tf.div(tf.mul(m, stepSize), tf.add(tf.sqrt(v), EPSILON))));
        });
      } else {
        this.weights.forEach((w, i) => {
          const a = this.slots[0]![i]!;
          const g = grads[i]!;
          a.assign(tf.add(tf.mul(a, RMSPROP_RHO), tf.mul(tf.square(g), 1 - RMSPROP_RHO)));
          w.assign(tf.sub(w, tf.div(tf.mul(g, this.learningRate), tf.add(tf.sqrt(a), EPSILON))));
        });
      }
    });
  }

  getState(): OptimizerState {
    return { step: this.step, slots: this.slots.flat().map((s) => (s.dataSync() as Float32Array).slice()) };
  }

  setState(state: OptimizerState): void {
    const flat = this.slots.flat();
    if (state.slots.length !== flat.length) throw new Error(`optimizer state has ${state.slots.length} slots, expected ${flat.length}`);
    tf.tidy(() => flat.forEach((s, i) => s.assign(tf.tensor(state.slots[i]!, s.shape, 'float32'))));
    this.step = state.step;
  }

  dispose(): void {
    for (const s of this.slots.flat()) s.dispose();
  }
}
