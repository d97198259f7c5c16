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
import { CompiledForward, type EagerForward, type ForwardOutputs } from './compiled-forward.js';
import type { NativeNetwork } from './network.js';
import type { NativeOptimizer } from './optimizer.js';
import { CompileError, type CompiledFunction, functionName, functionSpec, refused, stepTensors, stepValues } from './recorded-function.js';
import { handleId, StepRecorder } from './step-trace.js';
import { encodeFunctionDef, type FunctionSpec } from './tensorflow-function.js';
import { TensorFlowOps } from './tensorflow-ops.js';

/** Why the compiled step will not run (`compile: false`, or an addon without function support), or undefined. */
export function compiledStepUnavailable(compile: boolean | undefined): string | undefined {
  if (compile === false) return 'training.compile is false';
  return TensorFlowOps.active().functionsUnavailable;
}

export interface CompileOptions {
  /**
   * Let XLA compile what it can of the full-batch training step (markForXla); a step XLA cannot
   * run runs without it. The epoch's last, smaller batch is not worth seconds of compiling.
   */
  xla?: boolean;
  log?: (line: string) => void;
  /** Receives each step function TensorFlow accepted, to run it outside this process (bench/profile_graph.py). */
  exportFunction?: (fn: ExportedFunction) => void;
}

/** A compiled step as TensorFlow runs it: its FunctionDef, the shapes of its resource inputs and the recorded step's input values. */
export interface ExportedFunction {
  name: string;
  functionDef: Uint8Array;
  /** The shape of each weight: the resource inputs are w, m, v per weight. */
  weightShapes: number[][];
  inputs: (CompiledFunction['inputs'][number] & { values: Float32Array | Int32Array | Uint8Array })[];
}

export class CompiledTrainStep {
  private readonly ops = TensorFlowOps.active();
  /** One function per batch size (the last batch of an epoch is usually smaller). */
  private readonly functions = new Map<number, CompiledFunction>();
  private readonly forwardPass: CompiledForward;
  /** Cleared once XLA refuses a step: the other batch sizes do not try again. */
  private xla: boolean;

  constructor(
    private readonly network: NativeNetwork,
    private readonly optimizer: NativeOptimizer,
    private readonly options: CompileOptions = {},
  ) {
    this.xla = options.xla === true;
    this.forwardPass = new CompiledForward(network);
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

  /** Forward only (validation), one call per batch: see CompiledForward. */
  forward(x: Float32Array, y: Float32Array, batch: number, eagerForward: () => EagerForward): ForwardOutputs {
    return this.forwardPass.forward(x, y, batch, eagerForward);
  }

  dispose(): void {
    for (const fn of this.functions.values()) this.ops.removeFunction(fn.name);
    this.functions.clear();
    this.forwardPass.dispose();
  }

  /** Calls a step function on the values of its per-step inputs; the network's weights become its outputs. */
  private call(fn: CompiledFunction, values: () => (Float32Array | Int32Array | Uint8Array)[]): number {
    const { network, optimizer } = this;
    return tf.tidy(() => {
      const inputs = stepTensors(fn, values());
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
    const name = functionName('step');
    let fn: CompiledFunction;
    try {
      const outputs = [{ name: 'loss', id: recorded.lossId }, ...recorded.updatedIds.map((id, i) => ({ name: `weight_${i}`, id }))];
      const { spec, inputs } = functionSpec(name, recorded.recorder, { handleIds, weightIds, outputs });
      const functionDef = encodeFunctionDef(xla ? markForXla(spec, this.ops) : spec, this.ops.opCatalog());
      this.ops.addFunction(functionDef);
      fn = { name, inputs };
      if (this.options.exportFunction) {
        const { recorder } = recorded;
        const values = recorder.stepInputs.map(({ id }) => recorder.uploads.get(id)!.values);
        this.options.exportFunction({ name, functionDef, weightShapes: network.variables.map((w) => [...w.shape]), inputs: inputs.map((input, i) => ({ ...input, values: values[i]! })) });
      }
    } catch (err) {
      throw refused(err);
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
      throw refused(err);
    } finally {
      restore();
    }
  }
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
