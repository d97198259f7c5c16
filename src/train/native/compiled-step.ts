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
 * order by control edges. The recording step runs no update and is not counted (the dropout stream
 * untouched), so every step of a trial runs compiled and a resumed trial repeats an uninterrupted
 * one. The function names no device: TensorFlow places it like any op.
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
    const { network } = this;
    const fn = this.functions.get(batch);
    if (fn) {
      const t = this.optimizer.nextStep();
      return this.call(fn, () => fn.inputs.map(({ kind }) => stepValues(kind, { x, y, batch, t, dropout, network })));
    }
    if (batch === network.variant.batchSize && this.xla) {
      try {
        return this.compileAndRun(x, y, batch, dropout, eagerStep, true);
      } catch (err) {
        if (!(err instanceof CompileError)) throw err;
        this.xla = false;
        this.options.log?.(`training step: compiled without XLA (${err.message})`);
      }
    }
    return this.compileAndRun(x, y, batch, dropout, eagerStep, false);
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
      let outputs: tf.Tensor[];
      try {
        outputs = this.ops.run(fn.name, [], [...optimizer.resourceHandles(), ...inputs], 1 + names.length);
      } catch (err) {
        optimizer.rereadWeights();
        throw err;
      }
      names.forEach((name, i) => (network.variables[i] = tf.variable(outputs[1 + i]!, true, name)));
      return outputs[0]!.dataSync()[0]!;
    });
  }

  /**
   * Compiles the step for this batch size and runs it as this step. Its first call is the trial's
   * step itself, not a trial run to undo: undoing one needs a saved copy of every weight and slot,
   * which the updates then find shared and copy (full DanQ: 0.55 GB more at the process's peak).
   * The check before it runs without the updates. TensorFlow refuses a function when it
   * instantiates it, before any node runs: a CompileError then leaves the weights, the step count
   * and the dropout stream as they were.
   */
  private compileAndRun(x: Float32Array, y: Float32Array, batch: number, dropout: Rng, eagerStep: (dropout: Rng) => tf.Scalar, xla: boolean): number {
    const { network, optimizer } = this;
    const fn = this.compile(dropout, eagerStep, xla);
    const t = optimizer.stepCount + 1;
    // The recorded step's draws: taken from the trial's stream once the step has run.
    const draws = new Rng(0, dropout.state);
    let loss: number;
    try {
      loss = this.call(fn, () => fn.inputs.map(({ kind }) => stepValues(kind, { x, y, batch, t, dropout: draws, network })));
    } catch (err) {
      this.ops.removeFunction(fn.name);
      throw refused(err);
    }
    this.functions.set(batch, fn);
    optimizer.stepCount = t;
    for (const { kind } of fn.inputs) if (kind === 'dropout-key') stepValues(kind, { x, y, batch, t, dropout, network });
    return loss;
  }

  /**
   * Records one eager step (its updates recorded, not run), registers it as a function, and checks
   * it: the same function without the updates, called on the recorded step's values, must give the
   * eager step's loss (its gradients are outputs too, so the backward pass runs). A function
   * TensorFlow refuses (at registration or in the check) is a CompileError.
   */
  private compile(dropout: Rng, eagerStep: (dropout: Rng) => tf.Scalar, xla: boolean): CompiledFunction {
    const { network, optimizer } = this;
    const stepCount = optimizer.stepCount;
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
      // The recording ran no update (see writesResource) but counted one.
      optimizer.stepCount = stepCount;
    }
    const { recorder } = recorded;
    const register = (name: string, outputs: { name: string; id: number }[], withoutWrites: boolean) => {
      const { spec, inputs } = functionSpec(name, recorder, { handleIds, weightIds, outputs, withoutWrites });
      const functionDef = encodeFunctionDef(xla ? markForXla(spec, this.ops) : spec, this.ops.opCatalog());
      this.ops.addFunction(functionDef);
      return { functionDef, inputs };
    };
    const recordedValues = () => recorder.stepInputs.map(({ id }) => recorder.uploads.get(id)!.values);
    const loss = { name: 'loss', id: recorded.lossId };
    // The gradient is the last input of TensorFlow's ResourceApply* ops.
    const gradients = recorder.ops.filter((op) => op.op.startsWith('ResourceApply')).map((op, i) => ({ name: `gradient_${i}`, id: op.inputs.at(-1)! }));
    const check = functionName('step');
    let registered = false;
    try {
      const { inputs } = register(check, [loss, ...gradients], true);
      registered = true;
      const checkLoss = tf.tidy(() => {
        const outputs = this.ops.run(check, [], [...optimizer.resourceHandles(), ...stepTensors({ name: check, inputs }, recordedValues())], 1 + gradients.length);
        return outputs[0]!.dataSync()[0]!;
      });
      if (!(Math.abs(checkLoss - eagerLoss) <= 1e-5 * Math.max(1, Math.abs(eagerLoss)))) {
        throw new Error(`its loss ${checkLoss} differs from the eager step's ${eagerLoss}`);
      }
    } catch (err) {
      throw refused(err);
    } finally {
      if (registered) this.ops.removeFunction(check);
    }
    const name = functionName('step');
    try {
      const { functionDef, inputs } = register(name, [loss, ...recorded.updatedIds.map((id, i) => ({ name: `weight_${i}`, id }))], false);
      if (this.options.exportFunction) {
        const values = recordedValues();
        this.options.exportFunction({ name, functionDef, weightShapes: network.variables.map((w) => [...w.shape]), inputs: inputs.map((input, i) => ({ ...input, values: values[i]! })) });
      }
      return { name, inputs };
    } catch (err) {
      throw refused(err);
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
