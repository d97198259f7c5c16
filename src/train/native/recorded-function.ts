/**
 * What the compiled training step (compiled-step.ts) and the compiled forward pass
 * (compiled-forward.ts) share: a recorded eager computation turned into a TensorFlow function
 * (its FunctionDef), and the per-step values each call passes in, computed by the same host code
 * as the eager step.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../rng.js';
import { ADAM_BETA1, ADAM_BETA2 } from '../optimizer.js';
import type { NativeNetwork } from './network.js';
import { type RecordedUpload, type StepInputKind, type StepRecorder, writesResource } from './step-trace.js';
import { DT, type FunctionNode, type FunctionSpec, type TensorRef } from './tensorflow-function.js';
import { TensorFlowOps } from './tensorflow-ops.js';
import { tensorAttr, typeAttr } from './tensorflow-function.js';

/** TensorFlow (or the encoder) refused a recorded step: the eager step runs instead. */
export class CompileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CompileError';
  }
}

/** A CompileError with the first line of what TensorFlow said. */
export function refused(err: unknown): CompileError {
  return new CompileError((err as Error).message.split('\n').filter((line) => !line.startsWith('Invalid TF_Status'))[0] ?? String(err));
}

export interface CompiledFunction {
  name: string;
  /** The per-step inputs after the resource handles or weights, with the shapes and types recorded. */
  inputs: { kind: StepInputKind; shape: number[]; dtype: number }[];
}

/** Function names must be unique in the process (one eager context). */
let compiled = 0;

export function functionName(what: 'step' | 'forward'): string {
  return `danq_sweep_${what}_${++compiled}`;
}

/** The tensors of a function's per-step inputs. Call inside tf.tidy. */
export function stepTensors(fn: CompiledFunction, values: readonly (Float32Array | Int32Array | Uint8Array)[]): tf.Tensor[] {
  return values.map((v, i) => tf.tensor(v, fn.inputs[i]!.shape, fn.inputs[i]!.dtype === DT.INT32 ? 'int32' : 'float32'));
}

export interface StepContext {
  x: Float32Array;
  y: Float32Array;
  batch: number;
  /** The optimizer's step count for this update. */
  t: number;
  dropout: Rng;
  network: NativeNetwork;
}

/** A per-step input's value, computed as the eager step computes it (same code, same Rng draws). */
export function stepValues(kind: StepInputKind, c: StepContext): Float32Array | Int32Array {
  switch (kind) {
    case 'sequences':
      return c.x.subarray(0, c.batch * c.network.variant.seqLen * 4);
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

/** Ops whose output may share its first input's buffer. */
const VIEW_OPS = new Set(['Identity', 'Reshape', 'ExpandDims', 'Squeeze', 'Snapshot']);

export interface StepIds {
  /** Resource handles (function inputs, in this order). */
  handleIds: number[];
  /**
   * The weights the step read: inside the function, reads of their resource variables (weight i
   * is handle 3i: w, m, v per weight), or with `weightsAsInputs` inputs after the handles.
   */
  weightIds: number[];
  weightsAsInputs?: boolean;
  /** The function's outputs, in order. */
  outputs: { name: string; id: number }[];
  /** Leaves out the resource writes (the updates): a function that computes the step without changing the weights. */
  withoutWrites?: boolean;
}

/**
 * The function of a recorded step: inputs are the resource handles (or the weights) then the
 * marked per-step values; every other value the step uploaded, or read from before it, is a constant.
 */
export function functionSpec(name: string, recorder: StepRecorder, ids: StepIds): { spec: FunctionSpec; inputs: CompiledFunction['inputs'] } {
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
  if (ids.weightsAsInputs) {
    ids.weightIds.forEach((id, i) => {
      const arg = `weight_${i}`;
      refs.set(id, { arg });
      types.set(id, DT.FLOAT);
      specInputs.push({ name: arg, dtype: DT.FLOAT });
    });
  }
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
  /** Nodes whose output shares a resource's buffer (its reads, and views of them), by resource. */
  const views = new Map<string, string>();
  /**
   * Per resource, the nodes that consumed such a view since its last use: its next update waits
   * for them too, since TensorFlow copies a variable (full DanQ's dense kernel: 177 MB) that an
   * update finds still shared.
   */
  const viewReaders = new Map<string, Set<string>>();
  const addNode = (node: FunctionNode) => {
    const after = new Set<string>();
    for (const input of node.inputs) {
      if (!('arg' in input)) {
        const resource = views.get(input.node);
        if (resource) viewReaders.get(resource)!.add(node.name);
        continue;
      }
      if (!resources.has(input.arg)) continue;
      const previous = lastUser.get(input.arg);
      if (previous) after.add(previous);
      for (const reader of viewReaders.get(input.arg) ?? []) after.add(reader);
      viewReaders.set(input.arg, new Set());
      lastUser.set(input.arg, node.name);
      if (node.op === 'ReadVariableOp') views.set(node.name, input.arg);
    }
    const viewed = node.inputs[0];
    const resource = viewed && 'node' in viewed ? views.get(viewed.node) : undefined;
    if (resource && VIEW_OPS.has(node.op)) views.set(node.name, resource);
    nodes.push(after.size > 0 ? { ...node, controlInputs: [...after] } : node);
  };
  const dtypeAttr = ops.float32('dtype');
  if (!ids.weightsAsInputs)
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
    if (ids.withoutWrites && writesResource(op.op)) return;
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
