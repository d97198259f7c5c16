/**
 * Recording what one eager training step asks TensorFlow to do, so compiled-step.ts can replay it
 * as one function. Every op tfjs-node runs, its own kernels and the ones called by name, goes
 * through the addon's `executeOp`, and every host value it uploads through `createTensor`: while
 * a recorder runs, the backend's binding is wrapped so both are logged (and executed, but for
 * resource writes: see writesResource), with
 * tensors named by the addon's handle ids.
 *
 * The step's own code marks the tensors that hold per-step data (`stepInput`): the batch, the
 * dropout keys, Adam's bias-correction powers. Every other value uploaded during the step is a
 * constant of the step (shapes, scalars, zeros).
 */
import * as tf from '@tensorflow/tfjs';
import type { OpAttr } from './tensorflow-ops.js';

/** What varies from one step to the next, in the order the step creates it. */
export type StepInputKind = 'sequences' | 'labels' | 'dropout-key' | 'beta1-power' | 'beta2-power';

export interface TensorMeta {
  id: number;
  shape: number[];
  dtype: number;
}

export interface RecordedOp {
  op: string;
  attrs: OpAttr[];
  inputs: number[];
  outputs: TensorMeta[];
}

export interface RecordedUpload {
  shape: number[];
  dtype: number;
  values: Float32Array | Int32Array | Uint8Array;
}

/** TF_DataType of a tfjs dtype, for the tensors a step may read as constants. */
const TF_DTYPE: Partial<Record<string, number>> = { float32: 1, int32: 3, bool: 10 };

interface Binding {
  executeOp(op: string, attrs: OpAttr[], inputs: number[], numOutputs: number): TensorMeta[];
  createTensor(shape: number[], dtype: number, values: unknown): number;
  tensorDataSync(id: number): Float32Array | Int32Array | Uint8Array;
}

interface TensorInfo {
  id: number;
  shape: number[];
  dtype: string;
}

/** The parts of tfjs-node's NodeJSKernelBackend the recorder wraps and reads. */
interface RecordableBackend {
  binding: Binding;
  tensorMap: { get(dataId: object): TensorInfo | undefined };
  getInputTensorIds(tensors: unknown[]): number[];
}

let active: StepRecorder | undefined;

/**
 * Ops that only write resource variables (weights, optimizer slots) are recorded but not run: the
 * recorded step leaves them as they were, so nothing has to be undone, and no saved copy of them
 * is held while it runs (an update that finds its buffer shared copies it: full DanQ's weights and
 * slots are 0.55 GB). What the step computes after them is only re-reads of the weights.
 */
export function writesResource(op: string): boolean {
  return /^Assign(Add|Sub)?VariableOp$/.test(op) || op.startsWith('ResourceApply');
}

/** Marks `tensor` as per-step data of the step being recorded (a no-op otherwise); returns it. */
export function stepInput<T extends tf.Tensor>(kind: StepInputKind, tensor: T): T {
  // Uploaded now, while the tensor surely lives: its handle id names the function input.
  if (active) active.stepInputs.push({ kind, id: handleId(tensor) });
  return tensor;
}

/** The addon handle id behind a tfjs tensor (uploading its value if tfjs still holds it on the host). */
export function handleId(tensor: tf.Tensor): number {
  return (tf.backend() as unknown as RecordableBackend).getInputTensorIds([tensor])[0]!;
}

export class StepRecorder {
  readonly ops: RecordedOp[] = [];
  /** Values uploaded during the step, by handle id. */
  readonly uploads = new Map<number, RecordedUpload>();
  readonly stepInputs: { kind: StepInputKind; id: number }[] = [];
  /** Shape and type of every handle the step passed to an op, from the tfjs tensor behind it. */
  private readonly inputMeta = new Map<number, TensorMeta>();
  private readonly backend: RecordableBackend;

  private constructor() {
    this.backend = tf.backend() as unknown as RecordableBackend;
  }

  /** Runs `step` eagerly while recording it; the recorder is returned with `step`'s result. */
  static record<T>(step: () => T): { recorder: StepRecorder; result: T } {
    if (active) throw new Error('a step is already being recorded');
    const recorder = new StepRecorder();
    const backend = recorder.backend;
    const binding = backend.binding;
    // The addon's own properties are read-only: a wrapper object inherits the rest from it.
    backend.binding = Object.create(binding, {
      executeOp: {
        value: (op: string, attrs: OpAttr[], inputs: number[], numOutputs: number) => {
          const outputs = writesResource(op) ? [] : binding.executeOp(op, attrs, inputs, numOutputs);
          recorder.ops.push({ op, attrs, inputs: [...inputs], outputs });
          return outputs;
        },
      },
      createTensor: {
        value: (shape: number[], dtype: number, values: Float32Array | Int32Array) => {
          const id = binding.createTensor(shape, dtype, values);
          recorder.uploads.set(id, { shape: [...shape], dtype, values: values.slice() });
          return id;
        },
      },
    }) as Binding;
    const inputIds = backend.getInputTensorIds.bind(backend);
    backend.getInputTensorIds = (tensors: unknown[]) => {
      const ids = inputIds(tensors);
      tensors.forEach((t, i) => {
        const { shape, dtype } = t as Partial<tf.Tensor>;
        const tfDtype = dtype === undefined ? undefined : TF_DTYPE[dtype];
        if (shape && tfDtype !== undefined) recorder.inputMeta.set(ids[i]!, { id: ids[i]!, shape: [...shape], dtype: tfDtype });
      });
      return ids;
    };
    active = recorder;
    try {
      return { recorder, result: step() };
    } finally {
      active = undefined;
      backend.binding = binding;
      delete (backend as Partial<RecordableBackend>).getInputTensorIds;
    }
  }

  /** The value of a handle the step used but did not create or compute (a constant made before it). */
  readExternal(id: number): RecordedUpload {
    const meta = this.inputMeta.get(id);
    if (!meta) throw new Error(`the recorded step reads tensor ${id}, made before it, of unknown shape and type`);
    return { shape: meta.shape, dtype: meta.dtype, values: this.backend.binding.tensorDataSync(id) };
  }
}
