/**
 * Adam and RMSprop on the native backends as one fused TensorFlow kernel per weight
 * (`ResourceApplyAdam`), where ../optimizer.ts runs about a dozen elementwise ops per weight:
 * measured with one thread, DanQ-lite's update takes 144 kernel calls, full DanQ's (46 M weights)
 * 0.33 s a batch, each op a pass over memory.
 *
 * The fused kernels update TensorFlow resource variables in place, so the weights and slots live
 * in resource variables here. A buffer that another tensor still references is copied before an
 * in-place update (full DanQ's dense kernel is 177 MB), so each update first disposes the tfjs
 * variable that reads the weight and then replaces it, under the same name and at the same index
 * of `weights` (the network's own array), by a new one reading the updated value (ReadVariableOp,
 * no copy). The same update rules as ../optimizer.ts:
 * - Adam: ResourceApplyAdam is Keras' rule, computed in float32 throughout: m + (g - m)(1 - b1),
 *   the bias correction, and 1 - b2 from b2 = 0.999f, which is 1.3e-5 (relative) off 0.001, so v
 *   differs from the host optimizer's by about that much.
 * - RMSprop (Keras: w -= lr g / (sqrt(a) + eps)): TensorFlow's own RMSProp kernels put eps inside
 *   the square root, a different rule, so RMSprop runs as Adam with b1 = 0 and both bias
 *   corrections off (b1^t = b2^t = 0), which reduces to exactly Keras' rule with a = v, rho = b2.
 *   Its m slot must then equal g, which m + (g - m) gives exactly only from m = 0: it is zeroed
 *   before each update, so the checkpointed state is [a] as on the host.
 */
import * as tf from '@tensorflow/tfjs';
import type { VariantConfig } from '../../model/config.js';
import { ADAM_BETA1, ADAM_BETA2, EPSILON, RMSPROP_RHO, type OptimizerState, type WeightOptimizer } from '../optimizer.js';
import { stepInput } from './step-trace.js';
import { TensorFlowOps, type OpAttr } from './tensorflow-ops.js';

/** Resource names must be unique in the process: TensorFlow shares variables by name. */
let created = 0;

export class NativeOptimizer implements WeightOptimizer {
  private step = 0;
  private readonly ops = TensorFlowOps.active();
  private readonly handles: { w: tf.Tensor; m: tf.Tensor; v: tf.Tensor }[];
  private readonly constants: { learningRate: tf.Scalar; beta1: tf.Scalar; beta2: tf.Scalar; epsilon: tf.Scalar; zero: tf.Scalar };
  private readonly applyAttrs: OpAttr[];

  constructor(
    private readonly kind: VariantConfig['optimizer'],
    learningRate: number,
    private readonly weights: tf.Variable[],
  ) {
    const id = ++created;
    this.handles = weights.map((w, i) => {
      const slot = (name: string) =>
        this.ops.run(
          'VarHandleOp',
          [this.ops.string('container', ''), this.ops.string('shared_name', `danq-sweep-${id}-${i}-${name}`), this.ops.float32('dtype'), this.ops.shape('shape', w.shape)],
          [],
          1,
        )[0]!;
      const handles = { w: slot('w'), m: slot('m'), v: slot('v') };
      tf.tidy(() => {
        this.assign(handles.w, w);
        // RMSprop's m is zeroed before each update and a scalar in between (see apply).
        this.assign(handles.m, kind === 'adam' ? tf.zerosLike(w) : tf.scalar(0));
        this.assign(handles.v, tf.zerosLike(w));
      });
      return handles;
    });
    const adam = kind === 'adam';
    this.constants = {
      learningRate: tf.scalar(learningRate),
      beta1: tf.scalar(adam ? ADAM_BETA1 : 0),
      beta2: tf.scalar(adam ? ADAM_BETA2 : RMSPROP_RHO),
      epsilon: tf.scalar(EPSILON),
      zero: tf.scalar(0),
    };
    this.applyAttrs = [this.ops.float32(), this.ops.bool('use_locking', false), this.ops.bool('use_nesterov', false)];
  }

  apply(grads: readonly tf.Tensor[]): void {
    this.step++;
    const t = this.step;
    const c = this.constants;
    tf.tidy(() => {
      const adam = this.kind === 'adam';
      const [beta1Power, beta2Power] = adam ? [stepInput('beta1-power', tf.scalar(ADAM_BETA1 ** t)), stepInput('beta2-power', tf.scalar(ADAM_BETA2 ** t))] : [c.zero, c.zero];
      this.handles.forEach(({ w, m, v }, i) => {
        if (!adam) {
          // Disposed before the update, so the variable owns the buffer and is updated in place.
          const zeros = tf.zerosLike(grads[i]!);
          this.assign(m, zeros);
          zeros.dispose();
        }
        const { name } = this.weights[i]!;
        this.weights[i]!.dispose();
        this.ops.run('ResourceApplyAdam', this.applyAttrs, [w, m, v, beta1Power, beta2Power, c.learningRate, c.beta1, c.beta2, c.epsilon, grads[i]], 0);
        // Between updates RMSprop's m holds a scalar: full DanQ's would otherwise keep 184 MB.
        if (!adam) this.assign(m, c.zero);
        this.weights[i] = tf.variable(this.read(w), true, name);
      });
    });
  }

  /** The resource variables, per weight w, m, v: a compiled step updates them in place. */
  resourceHandles(): tf.Tensor[] {
    return this.handles.flatMap((h) => [h.w, h.m, h.v]);
  }

  /** The step count of the update about to run (a compiled step counts its own updates). */
  nextStep(): number {
    return ++this.step;
  }

  /** The number of updates so far (a recorded step counts one, though its updates do not run). */
  get stepCount(): number {
    return this.step;
  }

  set stepCount(step: number) {
    this.step = step;
  }

  /** Replaces the network's weights by fresh reads of their resource variables (after a compiled call that failed had released them). */
  rereadWeights(): void {
    this.handles.forEach((h, i) => {
      const { name, isDisposed } = this.weights[i]!;
      if (!isDisposed) this.weights[i]!.dispose();
      this.weights[i] = tf.tidy(() => tf.variable(this.read(h.w), true, name));
    });
  }

  getState(): OptimizerState {
    const slots = this.kind === 'adam' ? [...this.handles.map((h) => h.m), ...this.handles.map((h) => h.v)] : this.handles.map((h) => h.v);
    // Not through tf.tidy: it walks a returned typed array value by value (a Set of them overflows
    // on full DanQ's 44 M). tfjs-node's dataSync returns a fresh copy, so no second one is taken.
    const copy = (handle: tf.Tensor) => {
      const value = this.read(handle);
      const values = value.dataSync() as Float32Array;
      value.dispose();
      return values;
    };
    return { step: this.step, slots: slots.map(copy) };
  }

  setState(state: OptimizerState): void {
    const expected = this.kind === 'adam' ? 2 * this.handles.length : this.handles.length;
    if (state.slots.length !== expected) throw new Error(`optimizer state has ${state.slots.length} slots, expected ${expected}`);
    const n = this.handles.length;
    tf.tidy(() =>
      state.slots.forEach((values, k) => {
        const i = k % n;
        const handle = this.kind === 'adam' && k < n ? this.handles[i]!.m : this.handles[i]!.v;
        this.assign(handle, tf.tensor(values, this.weights[i]!.shape, 'float32'));
      }),
    );
    this.step = state.step;
  }

  dispose(): void {
    for (const handle of this.handles.flatMap((h) => [h.w, h.m, h.v])) {
      this.ops.run('DestroyResourceOp', [this.ops.bool('ignore_lookup_error', true)], [handle], 0);
      handle.dispose();
    }
    tf.dispose(Object.values(this.constants));
  }

  private assign(handle: tf.Tensor, value: tf.Tensor): void {
    this.ops.run('AssignVariableOp', [this.ops.float32('dtype'), this.ops.bool('validate_shape', false)], [handle, value], 0);
  }

  private read(handle: tf.Tensor): tf.Tensor {
    return this.ops.run('ReadVariableOp', [this.ops.float32('dtype')], [handle], 1)[0]!;
  }
}
