/**
 * The native training step as ONE TensorFlow function call per batch. The step's existing op
 * sequence (forward, hand-written backward, fused optimizer update) is recorded once per batch
 * size by running it eagerly (step-trace.ts), turned into a FunctionDef and registered in the
 * eager context; each batch then calls it with the resource variables (weights, Adam's slots),
 * the batch and the step's dropout keys and bias-correction powers, and reads back the loss.
 * TensorFlow instantiates the function once, optimises it (Grappler) and runs it on its own
 * executor, where the eager path pays tfjs's engine, tape and one N-API round trip per op.
 *
 * Same semantics as the eager path, by construction: the same ops with the same attributes, the
 * weights read from the resource variables, the per-step values computed by the same host code
 * in the same order (same Rng draws), and each resource's reads and updates kept in recorded
 * order by control edges. The recording step is undone (weights, slots, step count put back, the
 * dropout stream untouched), so every step of a trial runs compiled and a resumed trial repeats an
 * uninterrupted one. The function names no device: TensorFlow places it like any op.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../rng.js';
import { ADAM_BETA1, ADAM_BETA2 } from '../optimizer.js';
import { poolWindows } from './conv-pool.js';
import type { NativeNetwork } from './network.js';
import type { NativeOptimizer } from './optimizer.js';
import { handleId, StepRecorder, type RecordedUpload, type StepInputKind } from './step-trace.js';
import { DT, encodeFunctionDef, tensorAttr, typeAttr, type FunctionNode, type FunctionSpec, type TensorRef } from './tensorflow-function.js';
import { TensorFlowOps } from './tensorflow-ops.js';

/** TensorFlow (or the encoder) refused a recorded step: the eager step runs instead. */
export class CompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CompileError';
  }
}

/** Why the compiled step will not run (`compile: false`, or an addon without function support), or undefined. */
export function compiledStepUnavailable(compile: boolean | undefined): string | undefined {
  if (compile === false) return 'training.compile is false';
  return TensorFlowOps.active().functionsUnavailable;
}

interface CompiledFunction {
  name: string;
  /** The per-step inputs after the resource handles, with the shapes and types recorded. */
  inputs: { kind: StepInputKind; shape: number[]; dtype: number }[];
}

/** What the eager forward pass gives to record: probabilities [batch, tasks] and the mean loss. */
export interface EagerForward {
  probabilities: tf.Tensor;
  loss: tf.Scalar;
}

export interface CompileOptions {
  /**
   * Let XLA compile what it can of the full-batch training step (markForXla); a step XLA cannot
   * run runs without it. The epoch's last, smaller batch is not worth seconds of compiling.
   */
  xla?: boolean;
  log?: (line: string) => void;
}

/** Function names must be unique in the process (one eager context). */
let compiled = 0;

export class CompiledTrainStep {
  private readonly ops = TensorFlowOps.active();
  /** One function per batch size (the last batch of an epoch is usually smaller). */
  private readonly functions = new Map<number, CompiledFunction>();
  private readonly forwards = new Map<number, CompiledFunction>();
  /** Cleared once XLA refuses a step: the other batch sizes do not try again. */
  private xla: boolean;

  constructor(
    private readonly network: NativeNetwork,
    private readonly optimizer: NativeOptimizer,
    private readonly options: CompileOptions = {},
  ) {
    this.xla = options.xla === true;
  }

  /**
   * One step on a filled batch; returns its loss. `eagerStep` runs the same step eagerly
   * (train.ts's trainStepLoss) and is called only to record it.
   */
  run(x: Float32Array, y: Float32Array, batch: number, dropout: Rng, eagerStep: (dropout: Rng) => tf.Scalar): number {
    let fn = this.functions.get(batch);
    if (!fn) {
      fn = batch === this.network.variant.batchSize ? this.compileWithXlaOrWithout(dropout, eagerStep) : this.compile(dropout, eagerStep, false);
      this.functions.set(batch, fn);
    }
    const { network } = this;
    const t = this.optimizer.nextStep();
    return this.call(fn, () => fn.inputs.map(({ kind }) => stepValues(kind, { x, y, batch, t, dropout, network })));
  }

  /**
   * Forward only (validation): the batch's probabilities and mean loss, one call per batch.
   * `eagerForward` computes them eagerly (train.ts) and is called only to record them.
   */
  forward(x: Float32Array, y: Float32Array, batch: number, eagerForward: () => EagerForward): { probabilities: Float32Array; loss: number } {
    let fn = this.forwards.get(batch);
    if (!fn) {
      fn = this.compileForward(eagerForward);
      this.forwards.set(batch, fn);
    }
    const context = { x, y, batch, t: 0, dropout: new Rng(0), network: this.network };
    return this.callForward(
      fn,
      fn.inputs.map(({ kind }) => stepValues(kind, context)),
    );
  }

  dispose(): void {
    for (const fn of [...this.functions.values(), ...this.forwards.values()]) this.ops.removeFunction(fn.name);
    this.functions.clear();
    this.forwards.clear();
  }

  private callForward(fn: CompiledFunction, values: (Float32Array | Int32Array | Uint8Array)[]): { probabilities: Float32Array; loss: number } {
    return tf.tidy(() => {
      const inputs = values.map((v, i) => tf.tensor(v, fn.inputs[i]!.shape, fn.inputs[i]!.dtype === DT.INT32 ? 'int32' : 'float32'));
      const [probabilities, loss] = this.ops.run(fn.name, [], [...this.optimizer.resourceHandles(), ...inputs], 2);
      return { probabilities: probabilities!.dataSync() as Float32Array, loss: loss!.dataSync()[0]! };
    });
  }

  /** Records the eager forward pass, registers it, and checks one call against it (it changes no state). */
  private compileForward(eagerForward: () => EagerForward): CompiledFunction {
    const handleIds = this.optimizer.resourceHandles().map(handleId);
    const weightIds = this.network.variables.map(handleId);
    let eager: { probabilities: Float32Array; loss: number } | undefined;
    const { recorder, result: outputIds } = StepRecorder.record(() =>
      tf.tidy(() => {
        const { probabilities, loss } = eagerForward();
        eager = { probabilities: probabilities.dataSync() as Float32Array, loss: loss.dataSync()[0]! };
        return [handleId(probabilities), handleId(loss)];
      }),
    );
    const name = `danq_sweep_forward_${++compiled}`;
    try {
      if (recorder.stepInputs.some(({ kind }) => kind !== 'windows' && kind !== 'labels')) throw new Error('the forward pass draws per-step values other than the batch');
      const { spec, inputs } = functionSpec(name, recorder, {
        handleIds,
        weightIds,
        outputs: [
          { name: 'probabilities', id: outputIds[0]! },
          { name: 'loss', id: outputIds[1]! },
        ],
      });
      this.ops.addFunction(encodeFunctionDef(spec, this.ops.opCatalog()));
      const fn = { name, inputs };
      const compiledOut = this.callForward(
        fn,
        recorder.stepInputs.map(({ id }) => recorder.uploads.get(id)!.values),
      );
      const close = (a: number, b: number) => Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b));
      if (!close(compiledOut.loss, eager!.loss) || compiledOut.probabilities.some((p, i) => !close(p, eager!.probabilities[i]!))) {
        throw new Error('its outputs differ from the eager forward pass');
      }
      return fn;
    } catch (err) {
      this.ops.removeFunction(name);
      throw new CompileError((err as Error).message.split('\n').filter((line) => !line.startsWith('Invalid TF_Status'))[0] ?? String(err));
    }
  }

  /** Calls a step function on the values of its per-step inputs; the network's weights become its outputs. */
  private call(fn: CompiledFunction, values: () => (Float32Array | Int32Array | Uint8Array)[]): number {
    const { network, optimizer } = this;
    return tf.tidy(() => {
      const inputs = values().map((v, i) => tf.tensor(v, fn.inputs[i]!.shape, fn.inputs[i]!.dtype === DT.INT32 ? 'int32' : 'float32'));
      // Disposed before the call so the in-place updates find the weights' buffers unshared.
      const names = network.variables.map((w) => w.name);
      for (const w of network.variables) w.dispose();
      const outputs = this.ops.run(fn.name, [], [...optimizer.resourceHandles(), ...inputs], 1 + names.length);
      names.forEach((name, i) => (network.variables[i] = tf.variable(outputs[1 + i]!, true, name)));
      return outputs[0]!.dataSync()[0]!;
    });
  }

  private compileWithXlaOrWithout(dropout: Rng, eagerStep: (dropout: Rng) => tf.Scalar): CompiledFunction {
    if (!this.xla) return this.compile(dropout, eagerStep, false);
    try {
      return this.compile(dropout, eagerStep, true);
    } catch (err) {
      if (!(err instanceof CompileError)) throw err;
      this.xla = false;
      this.options.log?.(`training step: compiled without XLA (${err.message})`);
      return this.compile(dropout, eagerStep, false);
    }
  }

  /**
   * Records one eager step, registers it as a function and calls that on the recorded step's
   * values; the loss must agree with the eager step's. Both runs are undone, and a function
   * TensorFlow refuses (at registration or at its first call) is a CompileError.
   */
  private compile(dropout: Rng, eagerStep: (dropout: Rng) => tf.Scalar, xla: boolean): CompiledFunction {
    const { network, optimizer } = this;
    let restore = optimizer.snapshot();
    const handleIds = optimizer.resourceHandles().map(handleId);
    const weightIds = network.variables.map(handleId);
    let eagerLoss = Number.NaN;
    let recorded: { recorder: StepRecorder; lossId: number; updatedIds: number[] };
    try {
      // A copy of the dropout stream: the recorded step must not consume the trial's.
      const { recorder, result: lossId } = StepRecorder.record(() =>
        tf.tidy(() => {
          const loss = eagerStep(new Rng(0, dropout.state));
          eagerLoss = loss.dataSync()[0]!;
          return handleId(loss);
        }),
      );
      recorded = { recorder, lossId, updatedIds: network.variables.map(handleId) };
    } finally {
      restore();
    }
    const name = `danq_sweep_step_${++compiled}`;
    let fn: CompiledFunction;
    try {
      const outputs = [{ name: 'loss', id: recorded.lossId }, ...recorded.updatedIds.map((id, i) => ({ name: `weight_${i}`, id }))];
      const { spec, inputs } = functionSpec(name, recorded.recorder, { handleIds, weightIds, outputs });
      this.ops.addFunction(encodeFunctionDef(xla ? markForXla(spec, this.ops) : spec, this.ops.opCatalog()));
      fn = { name, inputs };
    } catch (err) {
      throw new CompileError((err as Error).message.split('\n')[0]!);
    }
    restore = optimizer.snapshot();
    try {
      const { recorder } = recorded;
      const compiledLoss = this.call(fn, () => recorder.stepInputs.map(({ id }) => recorder.uploads.get(id)!.values));
      if (!(Math.abs(compiledLoss - eagerLoss) <= 1e-5 * Math.max(1, Math.abs(eagerLoss)))) {
        throw new Error(`its loss ${compiledLoss} differs from the eager step's ${eagerLoss}`);
      }
      return fn;
    } catch (err) {
      this.ops.removeFunction(name);
      throw new CompileError((err as Error).message.split('\n').filter((line) => !line.startsWith('Invalid TF_Status'))[0] ?? String(err));
    } finally {
      restore();
    }
  }
}

interface StepContext {
  x: Float32Array;
  y: Float32Array;
  batch: number;
  /** The optimizer's step count for this update. */
  t: number;
  dropout: Rng;
  network: NativeNetwork;
}

/** A per-step input's value, computed as the eager step computes it (same code, same Rng draws). */
function stepValues(kind: StepInputKind, c: StepContext): Float32Array | Int32Array {
  switch (kind) {
    case 'windows':
      return poolWindows(c.x, c.network.convPoolShape(c.batch));
    case 'labels':
      return c.y.subarray(0, c.batch * c.network.variant.tasks);
    case 'dropout-key':
      return Int32Array.of(c.dropout.int(0, 0x7fffffff), c.dropout.int(0, 0x7fffffff));
    case 'beta1-power':
      return Float32Array.of(ADAM_BETA1 ** c.t);
    case 'beta2-power':
      return Float32Array.of(ADAM_BETA2 ** c.t);
  }
}

interface StepIds {
  /** Resource handles (function inputs, in this order). */
  handleIds: number[];
  /** The weights the step read: inside the function, reads of their resource variables. */
  weightIds: number[];
  /** The function's outputs, in order. */
  outputs: { name: string; id: number }[];
}

/**
 * The function of a recorded step: inputs are the resource handles then the marked per-step
 * values; every other value the step uploaded, or read from before it, is a constant.
 */
function functionSpec(name: string, recorder: StepRecorder, ids: StepIds): { spec: FunctionSpec; inputs: CompiledFunction['inputs'] } {
  const ops = TensorFlowOps.active();
  const catalog = ops.opCatalog();
  const refs = new Map<number, TensorRef>();
  /** The TF_DataType of every handle id the function names. */
  const types = new Map<number, number>();
  const resources = new Set<string>();
  const specInputs: FunctionSpec['inputs'][number][] = [];
  ids.handleIds.forEach((id, i) => {
    const arg = `handle_${i}`;
    refs.set(id, { arg });
    types.set(id, DT.RESOURCE);
    resources.add(arg);
    specInputs.push({ name: arg, dtype: DT.RESOURCE });
  });
  const inputs: CompiledFunction['inputs'] = [];
  recorder.stepInputs.forEach(({ kind, id }, i) => {
    const upload = recorder.uploads.get(id);
    if (!upload) throw new Error(`step input ${kind} was not uploaded during the step`);
    const arg = `${kind.replace('-', '_')}_${i}`;
    refs.set(id, { arg });
    types.set(id, upload.dtype);
    specInputs.push({ name: arg, dtype: upload.dtype });
    inputs.push({ kind, shape: upload.shape, dtype: upload.dtype });
  });

  const nodes: FunctionNode[] = [];
  /** Per resource input, the last node that used it: the next one waits for it. */
  const lastUser = new Map<string, string>();
  const addNode = (node: FunctionNode) => {
    const after = new Set<string>();
    for (const input of node.inputs) {
      if (!('arg' in input) || !resources.has(input.arg)) continue;
      const previous = lastUser.get(input.arg);
      if (previous) after.add(previous);
      lastUser.set(input.arg, node.name);
    }
    nodes.push(after.size > 0 ? { ...node, controlInputs: [...after] } : node);
  };
  const dtypeAttr = ops.float32('dtype');
  ids.weightIds.forEach((id, i) => {
    const node = `read_weight_${i}`;
    // The weight of slot i is handle 3i (w, m, v per weight).
    addNode({ name: node, op: 'ReadVariableOp', attrs: [dtypeAttr], inputs: [refs.get(ids.handleIds[3 * i]!)!] });
    refs.set(id, { node, output: 0 });
    types.set(id, DT.FLOAT);
  });
  const constant = (id: number, value: RecordedUpload): TensorRef => {
    const node = `const_${id}`;
    nodes.push({ name: node, op: 'Const', attrs: [typeAttr('dtype', value.dtype), tensorAttr('value', value)], inputs: [] });
    const ref = { node, output: 0 };
    refs.set(id, ref);
    types.set(id, value.dtype);
    return ref;
  };
  recorder.ops.forEach((op, n) => {
    const node = `op_${n}_${op.op}`;
    const inputs = op.inputs.map((id) => refs.get(id) ?? constant(id, recorder.uploads.get(id) ?? recorder.readExternal(id)));
    const attrs = catalog.completeAttrs(
      op.op,
      op.attrs,
      op.inputs.map((id) => types.get(id)!),
    );
    addNode({ name: node, op: op.op, attrs, inputs });
    op.outputs.forEach((out, k) => {
      refs.set(out.id, { node, output: k });
      types.set(out.id, out.dtype);
    });
  });
  const output = (id: number, what: string): TensorRef => {
    const ref = refs.get(id);
    if (!ref || 'arg' in ref) throw new Error(`the recorded step did not compute ${what}`);
    return ref;
  };
  const outputs = ids.outputs.map(({ name: output_, id }) => ({ name: output_, dtype: DT.FLOAT, from: output(id, output_) }));
  return { spec: { name, inputs: specInputs, outputs, nodes }, inputs };
}

/**
 * Not for XLA: the dropout draws (XLA's StatelessRandomUniform gives other numbers than the kernel
 * the eager step runs) and assignments (RMSprop's m slot changes shape, which an XLA cluster refuses).
 */
const KEPT_FROM_XLA = new Set(['StatelessRandomUniform', 'AssignVariableOp']);

/**
 * Asks TensorFlow to compile with XLA what it can of the step (`_XlaCompile` on each node, as
 * jit_scope did): it clusters the marked nodes that have XLA kernels and runs the rest (the fused
 * RNN kernels) as before. tf.function(jit_compile=True) would refuse the whole step for those.
 */
function markForXla(spec: FunctionSpec, ops: TensorFlowOps): FunctionSpec {
  const mark = ops.bool('_XlaCompile', true);
  return { ...spec, nodes: spec.nodes.map((node) => (KEPT_FROM_XLA.has(node.op) ? node : { ...node, attrs: [...node.attrs, mark] })) };
}
