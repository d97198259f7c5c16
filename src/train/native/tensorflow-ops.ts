/**
 * TensorFlow ops by name on the native backends (tfjs-node, tfjs-node-gpu): their
 * NodeJSKernelBackend runs any op of the linked TensorFlow through
 * `executeMultipleOutputs(opName, attrs, inputs, numOutputs)`, which is how the fused RNN kernels
 * (BlockLSTMV2, GRUBlockCell, CudnnRNNV3 and their gradients) that tfjs itself never calls are
 * reached. The outputs are ordinary engine-tracked tensors (tf.tidy disposes them).
 * The native packages are optional: nothing here imports them statically.
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { OpCatalog, type OpAttr } from './tensorflow-function.js';

/** The constants of tfjs-node's binding that op attributes need. */
interface Binding {
  TF_ATTR_FLOAT: number;
  TF_ATTR_BOOL: number;
  TF_ATTR_TYPE: number;
  TF_ATTR_INT: number;
  TF_ATTR_STRING: number;
  TF_ATTR_SHAPE: number;
  TF_FLOAT: number;
  TF_INT32: number;
  /** Added by setup:native's binding patch (infra/native/binding-patch.ts); absent from a stock build. */
  addFunctionDef?(functionDef: Buffer): void;
  removeFunction?(name: string): void;
  getAllOpList?(): Buffer;
}

export type { OpAttr } from './tensorflow-function.js';

/** The part of tfjs-node's NodeJSKernelBackend used here. */
interface NodeKernelBackend {
  binding: Binding;
  isGPUPackage: boolean;
  isUsingGpuDevice: boolean;
  executeMultipleOutputs(name: string, attrs: OpAttr[], inputs: unknown[], numOutputs: number): tf.Tensor[];
}

type Int64ScalarClass = new (value: number) => unknown;

export class TensorFlowOps {
  private constructor(
    private readonly backend: NodeKernelBackend,
    private readonly Int64Scalar: Int64ScalarClass,
  ) {}

  /** True when the active tfjs backend is a native one (tfjs-node or tfjs-node-gpu). */
  static available(): boolean {
    const backend = tf.backend() as Partial<NodeKernelBackend>;
    return tf.getBackend() === 'tensorflow' && typeof backend.executeMultipleOutputs === 'function';
  }

  private static instance: TensorFlowOps | undefined;
  private catalog: OpCatalog | undefined;
  /** Each native package's Int64Scalar class, as `loadPackageClasses` imported it. */
  private static readonly int64Classes = new Map<string, Int64ScalarClass>();

  /**
   * Imports `pkg`'s Int64Scalar the way the package itself was imported (selectBackend calls this
   * after importing it). The backend recognises int64 scalars by `instanceof` its own module's
   * class, and under an ESM loader hook (the CLI's tsx) a CommonJS module imported from ESM is
   * not the instance that `require` returns.
   */
  static async loadPackageClasses(pkg: string): Promise<void> {
    const { Int64Scalar } = (await import(`${pkg}/dist/int64_tensors.js`)) as { Int64Scalar: Int64ScalarClass };
    TensorFlowOps.int64Classes.set(pkg, Int64Scalar);
  }

  /** The ops of the active backend; throws when it is not a native one. */
  static active(): TensorFlowOps {
    if (!TensorFlowOps.available()) throw new Error(`the native training step needs the tfjs-node backend, the active one is '${tf.getBackend()}'`);
    const backend = tf.backend() as unknown as NodeKernelBackend;
    if (TensorFlowOps.instance?.backend !== backend) {
      // The backend recognises int64 scalars by `instanceof` its own package's class.
      const pkg = backend.isGPUPackage ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
      // A backend made active without selectBackend: its package was required.
      const Int64Scalar = TensorFlowOps.int64Classes.get(pkg) ?? (createRequire(import.meta.url)(`${pkg}/dist/int64_tensors.js`) as { Int64Scalar: Int64ScalarClass }).Int64Scalar;
      TensorFlowOps.instance = new TensorFlowOps(backend, Int64Scalar);
    }
    return TensorFlowOps.instance;
  }

  /** True when TensorFlow runs ops on a GPU (tfjs-node-gpu with a usable CUDA device). */
  get onGpu(): boolean {
    return this.backend.isUsingGpuDevice;
  }

  /** Why functions cannot be registered here (a binding built without setup:native's patch), or undefined when they can. */
  get functionsUnavailable(): string | undefined {
    const { binding } = this.backend;
    if (typeof binding.addFunctionDef === 'function' && typeof binding.getAllOpList === 'function') return undefined;
    return "this tfjs-node addon was built without the compiled-step additions: run 'npm run setup:native' again";
  }

  /** Registers a serialized FunctionDef; `run(itsName, [], inputs, n)` then calls it. */
  addFunction(functionDef: Uint8Array): void {
    const why = this.functionsUnavailable;
    if (why) throw new Error(why);
    this.backend.binding.addFunctionDef!(Buffer.from(functionDef.buffer, functionDef.byteOffset, functionDef.byteLength));
  }

  removeFunction(name: string): void {
    this.backend.binding.removeFunction?.(name);
  }

  /** The linked TensorFlow's ops (decoded once per process). */
  opCatalog(): OpCatalog {
    const why = this.functionsUnavailable;
    if (why) throw new Error(why);
    this.catalog ??= OpCatalog.decode(this.backend.binding.getAllOpList!());
    return this.catalog;
  }

  run(op: string, attrs: OpAttr[], inputs: unknown[], numOutputs: number): tf.Tensor[] {
    return this.backend.executeMultipleOutputs(op, attrs, inputs, numOutputs);
  }

  int64(value: number): unknown {
    return new this.Int64Scalar(value);
  }

  float(name: string, value: number): OpAttr {
    return { name, type: this.backend.binding.TF_ATTR_FLOAT, value };
  }

  bool(name: string, value: boolean): OpAttr {
    return { name, type: this.backend.binding.TF_ATTR_BOOL, value };
  }

  int(name: string, value: number): OpAttr {
    return { name, type: this.backend.binding.TF_ATTR_INT, value };
  }

  /** A list-of-ints attribute (e.g. ksizes, strides). */
  ints(name: string, values: readonly number[]): OpAttr {
    return { name, type: this.backend.binding.TF_ATTR_INT, value: [...values] };
  }

  string(name: string, value: string): OpAttr {
    return { name, type: this.backend.binding.TF_ATTR_STRING, value };
  }

  shape(name: string, dims: readonly number[]): OpAttr {
    return { name, type: this.backend.binding.TF_ATTR_SHAPE, value: dims };
  }

  int32Type(name: string): OpAttr {
    return { name, type: this.backend.binding.TF_ATTR_TYPE, value: this.backend.binding.TF_INT32 };
  }

  /** A float32 type attribute (`T` for most ops). */
  float32(name = 'T'): OpAttr {
    return { name, type: this.backend.binding.TF_ATTR_TYPE, value: this.backend.binding.TF_FLOAT };
  }
}
