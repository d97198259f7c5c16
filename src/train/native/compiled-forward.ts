/**
 * The native network's forward pass as ONE TensorFlow function call per batch: validation during
 * training, predict, variant scoring and mutagenesis. Recorded once per batch size from the eager
 * forward pass (step-trace.ts), with the weights as the function's inputs (no copies: the tensors
 * TensorFlow already holds), and checked against it on the recording batch.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../rng.js';
import type { NativeNetwork } from './network.js';
import { CompileError, type CompiledFunction, functionName, functionSpec, refused, stepTensors, stepValues } from './recorded-function.js';
import { handleId, StepRecorder } from './step-trace.js';
import { encodeFunctionDef } from './tensorflow-function.js';
import { TensorFlowOps } from './tensorflow-ops.js';

/** What the eager forward pass gives to record: probabilities [batch, tasks] and the mean loss. */
export interface EagerForward {
  probabilities: tf.Tensor;
  loss: tf.Scalar;
}

export interface ForwardOutputs {
  probabilities: Float32Array;
  loss: number;
}

export class CompiledForward {
  private readonly ops = TensorFlowOps.active();
  /** One function per batch size (the last batch is usually smaller). */
  private readonly functions = new Map<number, CompiledFunction>();

  constructor(private readonly network: NativeNetwork) {}

  /**
   * The batch's probabilities and mean loss (labels `y`). `eagerForward` computes them eagerly
   * and is called only to record them; a function TensorFlow refuses is a CompileError.
   */
  forward(x: Float32Array, y: Float32Array, batch: number, eagerForward: () => EagerForward): ForwardOutputs {
    let fn = this.functions.get(batch);
    if (!fn) {
      fn = this.compile(eagerForward);
      this.functions.set(batch, fn);
    }
    const context = { x, y, batch, t: 0, dropout: new Rng(0), network: this.network };
    return this.call(
      fn,
      fn.inputs.map(({ kind }) => stepValues(kind, context)),
    );
  }

  dispose(): void {
    for (const fn of this.functions.values()) this.ops.removeFunction(fn.name);
    this.functions.clear();
  }

  private call(fn: CompiledFunction, values: (Float32Array | Int32Array | Uint8Array)[]): ForwardOutputs {
    let result: ForwardOutputs | undefined;
    // Not returned through tf.tidy: it would walk the typed array value by value.
    tf.tidy(() => {
      const [probabilities, loss] = this.ops.run(fn.name, [], [...this.network.variables, ...stepTensors(fn, values)], 2);
      result = { probabilities: probabilities!.dataSync() as Float32Array, loss: loss!.dataSync()[0]! };
    });
    return result!;
  }

  /** Records the eager forward pass, registers it, and checks one call against it (it changes no state). */
  private compile(eagerForward: () => EagerForward): CompiledFunction {
    const weightIds = this.network.variables.map(handleId);
    let eager: ForwardOutputs | undefined;
    const { recorder, result: outputIds } = StepRecorder.record(() =>
      tf.tidy(() => {
        const { probabilities, loss } = eagerForward();
        eager = { probabilities: probabilities.dataSync() as Float32Array, loss: loss.dataSync()[0]! };
        return [handleId(probabilities), handleId(loss)];
      }),
    );
    const name = functionName('forward');
    try {
      if (recorder.stepInputs.some(({ kind }) => kind !== 'sequences' && kind !== 'labels')) throw new Error('the forward pass draws per-step values other than the batch');
      const { spec, inputs } = functionSpec(name, recorder, {
        handleIds: [],
        weightIds,
        weightsAsInputs: true,
        outputs: [
          { name: 'probabilities', id: outputIds[0]! },
          { name: 'loss', id: outputIds[1]! },
        ],
      });
      this.ops.addFunction(encodeFunctionDef(spec, this.ops.opCatalog()));
      const fn = { name, inputs };
      const compiledOut = this.call(
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
      throw err instanceof CompileError ? err : refused(err);
    }
  }
}
