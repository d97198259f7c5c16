/**
 * TensorFlow functions built from op sequences and registered in the native backend's eager
 * context, so a whole computation runs as ONE call (`TensorFlowOps.run(name, [], inputs, n)`):
 * TensorFlow instantiates it once, optimises the graph (Grappler) and runs it on its own executor,
 * instead of one round trip through tfjs and N-API per op.
 *
 * Registration needs the `addFunctionDef` that setup:native adds to tfjs-node's binding
 * (infra/native/binding-patch.ts); `compiledFunctionsUnavailable()` says why it cannot run.
 * Nodes name no device: the function runs wherever the eager context places it (CPU or GPU).
 */
import { decodeString, ProtoWriter, readFields } from './protobuf-wire.js';

/** One attribute of a TensorFlow op as tfjs-node's binding takes it (type: a binding.TF_ATTR_* constant). */
export interface OpAttr {
  name: string;
  type: number;
  value: unknown;
}

/** TF_AttrType values of tensorflow/c/c_api.h (the binding exports all but TENSOR). */
const ATTR = { STRING: 0, INT: 1, FLOAT: 2, BOOL: 3, TYPE: 4, SHAPE: 5, TENSOR: 6 } as const;

/** TF_DataType values (equal to the DataType enum of types.proto). */
export const DT = { FLOAT: 1, INT32: 3, INT64: 9, BOOL: 10, RESOURCE: 20 } as const;

/** A constant tensor attribute (Const's `value`). */
export interface TensorValue {
  dtype: number;
  shape: readonly number[];
  values: Float32Array | Int32Array | Uint8Array;
}

export function tensorAttr(name: string, value: TensorValue): OpAttr {
  return { name, type: ATTR.TENSOR, value };
}

/** A type attribute of any TF_DataType. */
export function typeAttr(name: string, dtype: number): OpAttr {
  return { name, type: ATTR.TYPE, value: dtype };
}

/** An input of the function (by name) or an output of one of its nodes (by index, as executeOp counts them). */
export type TensorRef = { arg: string } | { node: string; output: number };

export interface FunctionNode {
  name: string;
  op: string;
  attrs: readonly OpAttr[];
  inputs: readonly TensorRef[];
  /** Nodes that must run before this one (for ordering side effects on resources). */
  controlInputs?: readonly string[];
}

export interface FunctionSpec {
  name: string;
  inputs: readonly { name: string; dtype: number }[];
  outputs: readonly { name: string; dtype: number; from: TensorRef }[];
  nodes: readonly FunctionNode[];
  /** The function's own attributes (FunctionDef.attr), e.g. `_XlaMustCompile`. */
  attrs?: readonly OpAttr[];
}

interface ArgDef {
  name: string;
  typeAttr: string;
  numberAttr: string;
  typeListAttr: string;
}

interface OpSignature {
  inputs: ArgDef[];
  outputs: ArgDef[];
  stateful: boolean;
}

/** What the function encoder needs of each op's OpDef: output arg names and list lengths, statefulness. */
export class OpCatalog {
  private constructor(private readonly ops: Map<string, OpSignature>) {}

  /** From a serialized OpList (the binding's getAllOpList()). */
  static decode(opList: Uint8Array): OpCatalog {
    const ops = new Map<string, OpSignature>();
    for (const { field, value } of readFields(opList)) {
      if (field !== 1 || typeof value === 'number') continue;
      let name = '';
      const signature: OpSignature = { inputs: [], outputs: [], stateful: false };
      for (const f of readFields(value)) {
        if (f.field === 1) name = decodeString(f.value);
        else if ((f.field === 2 || f.field === 3) && typeof f.value !== 'number') {
          const arg: ArgDef = { name: '', typeAttr: '', numberAttr: '', typeListAttr: '' };
          for (const a of readFields(f.value)) {
            if (a.field === 1) arg.name = decodeString(a.value);
            else if (a.field === 4) arg.typeAttr = decodeString(a.value);
            else if (a.field === 5) arg.numberAttr = decodeString(a.value);
            else if (a.field === 6) arg.typeListAttr = decodeString(a.value);
          }
          (f.field === 2 ? signature.inputs : signature.outputs).push(arg);
        } else if (f.field === 17) signature.stateful = f.value === 1;
      }
      ops.set(name, signature);
    }
    return new OpCatalog(ops);
  }

  signature(op: string): OpSignature {
    const signature = this.ops.get(op);
    if (!signature) throw new Error(`TensorFlow has no op named '${op}'`);
    return signature;
  }

  /**
   * `attrs` plus the attributes eager execution infers from the inputs and a graph node must
   * state: an input's type (`T`), a list's length (`N`) and its types, from the inputs' types.
   */
  completeAttrs(op: string, attrs: readonly OpAttr[], inputTypes: readonly number[]): OpAttr[] {
    const given = new Map(attrs.map((a) => [a.name, a.value]));
    const { inputs } = this.signature(op);
    const lengthOf = (arg: ArgDef): number | undefined => {
      if (arg.numberAttr) return given.get(arg.numberAttr) as number | undefined;
      if (arg.typeListAttr) return (given.get(arg.typeListAttr) as unknown[] | undefined)?.length;
      return 1;
    };
    const unknown = inputs.filter((a) => lengthOf(a) === undefined);
    if (unknown.length > 1) throw new Error(`${op}: cannot tell which inputs belong to which of its lists`);
    const known = inputs.reduce((sum, a) => sum + (lengthOf(a) ?? 0), 0);
    const added: OpAttr[] = [];
    let at = 0;
    for (const arg of inputs) {
      const length = lengthOf(arg) ?? inputTypes.length - known;
      const types = inputTypes.slice(at, at + length);
      at += length;
      const add = (attr: OpAttr) => {
        if (given.has(attr.name)) return;
        given.set(attr.name, attr.value);
        added.push(attr);
      };
      if (arg.numberAttr) add({ name: arg.numberAttr, type: ATTR.INT, value: length });
      if (arg.typeListAttr) add({ name: arg.typeListAttr, type: ATTR.TYPE, value: types });
      if (arg.typeAttr && types.length > 0) add(typeAttr(arg.typeAttr, types[0]!));
    }
    if (at !== inputTypes.length) throw new Error(`${op}: ${inputTypes.length} inputs where its OpDef takes ${at}`);
    return [...attrs, ...added];
  }

  /** FunctionDef's name for output `index` of a node: "node:arg:k" (list outputs count k within their arg). */
  outputName(node: FunctionNode, index: number): string {
    let first = 0;
    for (const arg of this.signature(node.op).outputs) {
      const count = arg.numberAttr ? Number(attrValue(node, arg.numberAttr)) : arg.typeListAttr ? (attrValue(node, arg.typeListAttr) as unknown[]).length : 1;
      if (index < first + count) return `${node.name}:${arg.name}:${index - first}`;
      first += count;
    }
    throw new Error(`${node.op} node '${node.name}' has no output ${index}`);
  }
}

function attrValue(node: FunctionNode, name: string): unknown {
  const attr = node.attrs.find((a) => a.name === name);
  if (!attr) throw new Error(`${node.op} node '${node.name}' lacks attribute '${name}'`);
  return attr.value;
}

/** Serializes `spec` as a FunctionDef (tensorflow/core/framework/function.proto). */
export function encodeFunctionDef(spec: FunctionSpec, catalog: OpCatalog): Uint8Array {
  const nodes = new Map(spec.nodes.map((n) => [n.name, n]));
  const ref = (r: TensorRef): string => {
    if ('arg' in r) return r.arg;
    const node = nodes.get(r.node);
    if (!node) throw new Error(`function ${spec.name}: no node named '${r.node}'`);
    return catalog.outputName(node, r.output);
  };
  const stateful = spec.nodes.some((n) => catalog.signature(n.op).stateful);
  const w = new ProtoWriter();
  w.message(1, (sig) => {
    sig.string(1, spec.name);
    for (const input of spec.inputs) sig.message(2, (a) => a.string(1, input.name).varint(3, input.dtype));
    for (const output of spec.outputs) sig.message(3, (a) => a.string(1, output.name).varint(3, output.dtype));
    if (stateful) sig.varint(17, true);
  });
  for (const node of spec.nodes) {
    w.message(3, (n) => {
      n.string(1, node.name).string(2, node.op);
      for (const input of node.inputs) n.string(3, ref(input));
      for (const before of node.controlInputs ?? []) n.string(3, `^${before}`);
      for (const attr of node.attrs) n.message(5, (entry) => entry.string(1, attr.name).message(2, (v) => writeAttrValue(v, attr)));
    });
  }
  for (const output of spec.outputs) w.message(4, (entry) => entry.string(1, output.name).string(2, ref(output.from)));
  for (const attr of spec.attrs ?? []) w.message(5, (entry) => entry.string(1, attr.name).message(2, (v) => writeAttrValue(v, attr)));
  return w.finish();
}

/** AttrValue (attr_value.proto) from the binding's attribute form; an array value is a list attribute. */
function writeAttrValue(w: ProtoWriter, attr: OpAttr): void {
  const { type } = attr;
  const value = ArrayBuffer.isView(attr.value) ? Array.from(attr.value as Int32Array) : attr.value;
  if (type === ATTR.TENSOR) {
    w.message(8, (t) => writeTensor(t, attr.value as TensorValue));
    return;
  }
  if (Array.isArray(value) && type !== ATTR.SHAPE) {
    w.message(1, (list) => {
      if (type === ATTR.STRING) for (const s of value as string[]) list.string(2, s);
      else if (type === ATTR.INT) list.packedVarints(3, value as number[]);
      else if (type === ATTR.FLOAT) list.packedFloats(4, value as number[]);
      else if (type === ATTR.BOOL) list.packedVarints(5, value as boolean[]);
      else if (type === ATTR.TYPE) list.packedVarints(6, value as number[]);
      else throw new Error(`attribute '${attr.name}': list of attribute type ${type} is not supported`);
    });
    return;
  }
  switch (type) {
    case ATTR.STRING:
      w.string(2, value as string);
      return;
    case ATTR.INT:
      w.varint(3, value as number);
      return;
    case ATTR.FLOAT:
      w.float(4, value as number);
      return;
    case ATTR.BOOL:
      w.varint(5, value as boolean);
      return;
    case ATTR.TYPE:
      w.varint(6, value as number);
      return;
    case ATTR.SHAPE:
      w.message(7, (s) => writeShape(s, value as number[]));
      return;
    default:
      throw new Error(`attribute '${attr.name}': attribute type ${type} is not supported`);
  }
}

/** TensorShapeProto; -1 is an unknown dimension. */
function writeShape(w: ProtoWriter, dims: readonly number[]): void {
  for (const size of dims) w.message(2, (d) => d.varint(1, size));
}

/** TensorProto with its values as tensor_content (little-endian, like the host). */
function writeTensor(w: ProtoWriter, tensor: TensorValue): void {
  w.varint(1, tensor.dtype);
  w.message(2, (s) => writeShape(s, tensor.shape));
  w.bytesField(4, new Uint8Array(tensor.values.buffer, tensor.values.byteOffset, tensor.values.byteLength));
}
