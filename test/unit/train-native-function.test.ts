/**
 * TensorFlow functions on tfjs-node (src/train/native/tensorflow-function.ts): the protobuf wire
 * encoding, setup:native's binding patch, and functions registered in the eager context that
 * compute what the same ops compute eagerly, with list outputs and resource variables updated
 * across calls; the compiled training step against the eager one. The native cases are skipped, with the reason, when tfjs-node is not built or
 * was built without the patch.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { patchBindingSource } from '../../infra/native/binding-patch.js';
import type { VariantConfig } from '../../src/model/config.js';
import { Rng } from '../../src/rng.js';
import { selectBackend } from '../../src/train/backend.js';
import { CompiledTrainStep, type CompileOptions, type ExportedFunction } from '../../src/train/native/compiled-step.js';
import { NativeNetwork } from '../../src/train/native/network.js';
import { NativeOptimizer } from '../../src/train/native/optimizer.js';
import { decodeString, ProtoWriter, readFields } from '../../src/train/native/protobuf-wire.js';
import { handleId, StepRecorder } from '../../src/train/native/step-trace.js';
import { DT, encodeFunctionDef, tensorAttr, type FunctionSpec } from '../../src/train/native/tensorflow-function.js';
import { TensorFlowOps } from '../../src/train/native/tensorflow-ops.js';
import { predict, trainStep, trainStepLoss } from '../../src/train/train.js';
import { Network } from '../../src/train/fast/network.js';
import { memorySplit } from '../../src/data/split.js';
import { recordSize } from '../../src/data/store.js';
import type { ModelInfo } from '../../src/predict/model.js';
import { WindowScorer } from '../../src/predict/predict.js';
import { tinyVariant } from './train-helpers.js';
import { cases, maxRelativeDifference, perturbedWeights } from './train-network-checks.js';

async function functionsUnavailable(): Promise<string | undefined> {
  try {
    await selectBackend('tfjs-node');
  } catch (err) {
    return `tfjs-node not built: npm run setup:native (${(err as Error).message})`;
  }
  return TensorFlowOps.active().functionsUnavailable;
}
const skip = await functionsUnavailable();

test('the protobuf writer and reader agree on varints, negative int64, strings, floats and nested messages', () => {
  const bytes = new ProtoWriter()
    .varint(1, 300)
    .varint(2, -1)
    .string(3, 'MatMul')
    .float(4, 0.5)
    .message(5, (inner) => inner.varint(1, 2 ** 40).packedVarints(2, [1, 128, 3]))
    .finish();
  const fields = readFields(bytes);
  assert.deepEqual(
    fields.map((f) => f.field),
    [1, 2, 3, 5],
  );
  assert.equal(fields[0]!.value, 300);
  // -1 as int64 is ten bytes of two's complement: 2^64 - 1 read back as a (rounded) double.
  assert.equal(fields[1]!.value, 2 ** 64);
  assert.equal(decodeString(fields[2]!.value), 'MatMul');
  const inner = readFields(fields[3]!.value as Uint8Array);
  assert.equal(inner[0]!.value, 2 ** 40);
  assert.throws(() => readFields(new ProtoWriter().varint(9, 1).finish().slice(0, 1)), /truncated varint/);
});

test("setup:native's binding patch applies once, adds the three functions, and refuses another version's edits", () => {
  const stock = path.join(path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-node/package.json')), 'binding');
  const scratch = mkdtempSync(path.join(tmpdir(), 'binding-patch-'));
  try {
    cpSync(stock, path.join(scratch, 'binding'), { recursive: true });
    patchBindingSource(scratch);
    const patched = readFileSync(path.join(scratch, 'binding', 'tfjs_binding.cc'), 'utf8');
    for (const name of ['addFunctionDef', 'removeFunction', 'getAllOpList']) assert.equal(patched.split(`{"${name}"`).length, 2, `${name} exported once`);
    assert.equal(patchBindingSource(scratch), 0, 'a second run changes nothing');
    const header = path.join(scratch, 'binding', 'tfjs_backend.h');
    writeFileSync(header, readFileSync(header, 'utf8').replace('void RemoveFunction(napi_env env, napi_value name_value);', 'void RemoveFunctionOld();'));
    assert.throws(() => patchBindingSource(scratch), /another version of the compiled-step patch: reinstall the package \(npm ci\)/);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
});

let functionCount = 0;
function register(spec: Omit<FunctionSpec, 'name'>): string {
  const ops = TensorFlowOps.active();
  const name = `test_function_${++functionCount}`;
  ops.addFunction(encodeFunctionDef({ ...spec, name }, ops.opCatalog()));
  return name;
}

test('a registered MatMul + BiasAdd + Relu function computes what the ops compute eagerly', { skip }, () => {
  const ops = TensorFlowOps.active();
  const T = ops.float32();
  const matMul = [T, ops.bool('transpose_a', false), ops.bool('transpose_b', false)];
  const name = register({
    inputs: ['x', 'w', 'b'].map((n) => ({ name: n, dtype: DT.FLOAT })),
    outputs: [{ name: 'y', dtype: DT.FLOAT, from: { node: 'relu', output: 0 } }],
    nodes: [
      { name: 'mm', op: 'MatMul', attrs: matMul, inputs: [{ arg: 'x' }, { arg: 'w' }] },
      { name: 'bias', op: 'BiasAdd', attrs: [T, ops.string('data_format', 'NHWC')], inputs: [{ node: 'mm', output: 0 }, { arg: 'b' }] },
      { name: 'relu', op: 'Relu', attrs: [T], inputs: [{ node: 'bias', output: 0 }] },
    ],
  });
  tf.tidy(() => {
    const x = tf.randomNormal([16, 24], 0, 1, 'float32', 1);
    const w = tf.randomNormal([24, 8], 0, 1, 'float32', 2);
    const b = tf.randomNormal([8], 0, 1, 'float32', 3);
    const [y] = ops.run(name, [], [x, w, b], 1);
    assert.deepEqual(y!.shape, [16, 8]);
    assert.deepEqual(y!.dataSync(), tf.relu(tf.add(tf.matMul(x, w), b)).dataSync());
  });
});

test('list outputs, constants and several returned tensors map to the right values', { skip }, () => {
  const ops = TensorFlowOps.active();
  const T = ops.float32();
  // Split x [6] into three, return pieces 2 and 0 scaled by a constant 10.
  const name = register({
    inputs: [{ name: 'x', dtype: DT.FLOAT }],
    outputs: [
      { name: 'last', dtype: DT.FLOAT, from: { node: 'scaled', output: 0 } },
      { name: 'first', dtype: DT.FLOAT, from: { node: 'split', output: 0 } },
    ],
    nodes: [
      { name: 'axis', op: 'Const', attrs: [ops.int32Type('dtype'), tensorAttr('value', { dtype: DT.INT32, shape: [], values: Int32Array.of(0) })], inputs: [] },
      { name: 'ten', op: 'Const', attrs: [ops.float32('dtype'), tensorAttr('value', { dtype: DT.FLOAT, shape: [], values: Float32Array.of(10) })], inputs: [] },
      { name: 'split', op: 'Split', attrs: [T, ops.int('num_split', 3)], inputs: [{ node: 'axis', output: 0 }, { arg: 'x' }] },
      {
        name: 'scaled',
        op: 'Mul',
        attrs: [T],
        inputs: [
          { node: 'split', output: 2 },
          { node: 'ten', output: 0 },
        ],
      },
    ],
  });
  tf.tidy(() => {
    const [last, first] = ops.run(name, [], [tf.tensor1d([1, 2, 3, 4, 5, 6])], 2);
    assert.deepEqual(Array.from(last!.dataSync()), [50, 60]);
    assert.deepEqual(Array.from(first!.dataSync()), [1, 2]);
  });
});

test('a function updates a resource variable in place, in the order its control edges give, and the update persists between calls', { skip }, () => {
  const ops = TensorFlowOps.active();
  const dtype = ops.float32('dtype');
  const name = register({
    inputs: [
      { name: 'v', dtype: DT.RESOURCE },
      { name: 'delta', dtype: DT.FLOAT },
    ],
    outputs: [{ name: 'sum', dtype: DT.FLOAT, from: { node: 'sum', output: 0 } }],
    nodes: [
      { name: 'add', op: 'AssignAddVariableOp', attrs: [dtype], inputs: [{ arg: 'v' }, { arg: 'delta' }] },
      { name: 'read', op: 'ReadVariableOp', attrs: [dtype], inputs: [{ arg: 'v' }], controlInputs: ['add'] },
      {
        name: 'sum',
        op: 'Sum',
        attrs: [ops.float32(), ops.int32Type('Tidx'), ops.bool('keep_dims', false)],
        inputs: [
          { node: 'read', output: 0 },
          { node: 'axes', output: 0 },
        ],
      },
      { name: 'axes', op: 'Const', attrs: [ops.int32Type('dtype'), tensorAttr('value', { dtype: DT.INT32, shape: [1], values: Int32Array.of(0) })], inputs: [] },
    ],
  });
  const [handle] = ops.run('VarHandleOp', [ops.string('container', ''), ops.string('shared_name', `${name}_v`), dtype, ops.shape('shape', [3])], [], 1);
  try {
    tf.tidy(() => ops.run('AssignVariableOp', [dtype, ops.bool('validate_shape', false)], [handle, tf.tensor1d([1, 2, 3])], 0));
    const delta = tf.tensor1d([1, 1, 1]);
    // Only the control edge orders the read after the update: a function has no automatic ones.
    const sums = [1, 2, 3].map(() => tf.tidy(() => ops.run(name, [], [handle, delta], 1)[0]!.dataSync()[0]));
    assert.deepEqual(sums, [9, 12, 15]);
    delta.dispose();
  } finally {
    ops.run('DestroyResourceOp', [ops.bool('ignore_lookup_error', true)], [handle], 0);
    handle!.dispose();
  }
});

/** Trains `steps` batches (the last one partial) eagerly or compiled from the same start; returns what a checkpoint holds. */
function trainSteps(v: VariantConfig, weights: Float32Array[], compiled: boolean, steps: number, options: CompileOptions = {}) {
  const data = new Rng(5);
  const batches = Array.from({ length: 3 }, (_, k) => ({
    n: k === 2 ? v.batchSize - 7 : v.batchSize,
    x: Float32Array.from({ length: v.batchSize * v.seqLen * 4 }, () => (data.next() < 0.25 ? 1 : 0)),
    y: Float32Array.from({ length: v.batchSize * v.tasks }, () => (data.next() < 0.5 ? 1 : 0)),
  }));
  const network = new NativeNetwork(v, weights);
  const optimizer = new NativeOptimizer(v.optimizer, v.learningRate, network.variables);
  const step = new CompiledTrainStep(network, optimizer, options);
  const dropout = new Rng(9);
  const losses: number[] = [];
  try {
    for (let s = 0; s < steps; s++) {
      const { x, y, n } = batches[s % batches.length]!;
      losses.push(compiled ? step.run(x, y, n, dropout, (d) => trainStepLoss(network, optimizer, x, y, n, d)) : trainStep(network, optimizer, x, y, n, dropout));
    }
    return { losses, weights: network.readWeights(), optimizer: optimizer.getState(), dropout: dropout.state };
  } finally {
    step.dispose();
    network.dispose();
    optimizer.dispose();
  }
}

test('the compiled step trains exactly like the eager native step on every variant, RMSprop and a partial batch included', { skip }, () => {
  const variants = [...cases(1).map((c) => c.v), tinyVariant({ optimizer: 'rmsprop' }), tinyVariant({ poolSize: 6, poolStride: 6, rnn: 'gru', optimizer: 'rmsprop' })];
  const tensorsBefore = tf.memory().numTensors;
  for (const v of variants) {
    const weights = perturbedWeights(v);
    const eager = trainSteps(v, weights, false, 7);
    const compiled = trainSteps(v, weights, true, 7);
    const label = JSON.stringify(v);
    assert.deepEqual(compiled.losses, eager.losses, label);
    assert.equal(compiled.dropout, eager.dropout, `${label}: the same dropout draws`);
    assert.equal(compiled.optimizer.step, eager.optimizer.step, label);
    compiled.weights.forEach((w, i) => assert.ok(maxRelativeDifference(w, eager.weights[i]!) <= 1e-5, `${label}: weight ${i}`));
    compiled.optimizer.slots.forEach((s, i) => assert.ok(maxRelativeDifference(s, eager.optimizer.slots[i]!) <= 1e-5, `${label}: optimizer slot ${i}`));
  }
  assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensor is left behind');
});

test('recording a step records its weight and slot updates without running them', { skip }, () => {
  for (const v of [tinyVariant(), tinyVariant({ optimizer: 'rmsprop' })]) {
    const network = new NativeNetwork(v, perturbedWeights(v));
    const optimizer = new NativeOptimizer(v.optimizer, v.learningRate, network.variables);
    const data = new Rng(5);
    const x = Float32Array.from({ length: v.batchSize * v.seqLen * 4 }, () => (data.next() < 0.25 ? 1 : 0));
    const y = Float32Array.from({ length: v.batchSize * v.tasks }, () => (data.next() < 0.5 ? 1 : 0));
    try {
      const weights = network.readWeights();
      const slots = optimizer.getState().slots;
      const { recorder } = StepRecorder.record(() => tf.tidy(() => handleId(trainStepLoss(network, optimizer, x, y, v.batchSize, new Rng(9)))));
      assert.equal(recorder.ops.filter((op) => op.op === 'ResourceApplyAdam').length, network.variables.length, `${v.optimizer}: one update per weight recorded`);
      assert.deepEqual(network.readWeights(), weights, `${v.optimizer}: the weights are as before`);
      assert.deepEqual(optimizer.getState().slots, slots, `${v.optimizer}: the slots are as before`);
    } finally {
      network.dispose();
      optimizer.dispose();
    }
  }
});

/** The nodes of a serialized FunctionDef: name, op, and inputs (data "node:arg:k" or argument names, control "^node"). */
function functionNodes(functionDef: Uint8Array): { name: string; op: string; inputs: string[] }[] {
  return readFields(functionDef)
    .filter((f) => f.field === 3 && typeof f.value !== 'number')
    .map((f) => {
      const node = { name: '', op: '', inputs: [] as string[] };
      for (const g of readFields(f.value as Uint8Array)) {
        if (g.field === 1) node.name = decodeString(g.value);
        else if (g.field === 2) node.op = decodeString(g.value);
        else if (g.field === 3) node.inputs.push(decodeString(g.value));
      }
      return node;
    });
}

test('each weight update in the compiled step waits for every op that used a read of that weight, so TensorFlow updates it in place', { skip }, () => {
  for (const v of [tinyVariant(), tinyVariant({ rnn: 'gru', optimizer: 'rmsprop' })]) {
    const network = new NativeNetwork(v, perturbedWeights(v));
    const optimizer = new NativeOptimizer(v.optimizer, v.learningRate, network.variables);
    const exported: ExportedFunction[] = [];
    const step = new CompiledTrainStep(network, optimizer, { exportFunction: (fn) => exported.push(fn) });
    const data = new Rng(5);
    const x = Float32Array.from({ length: v.batchSize * v.seqLen * 4 }, () => (data.next() < 0.25 ? 1 : 0));
    const y = Float32Array.from({ length: v.batchSize * v.tasks }, () => (data.next() < 0.5 ? 1 : 0));
    try {
      step.run(x, y, v.batchSize, new Rng(9), (d) => trainStepLoss(network, optimizer, x, y, v.batchSize, d));
    } finally {
      step.dispose();
      network.dispose();
      optimizer.dispose();
    }
    const nodes = functionNodes(exported[0]!.functionDef);
    const byName = new Map(nodes.map((n) => [n.name, n]));
    const source = (input: string) => input.replace(/^\^/, '').split(':')[0]!;
    const ancestors = new Map<string, Set<string>>();
    const ancestorsOf = (name: string): Set<string> => {
      let found = ancestors.get(name);
      if (found) return found;
      found = new Set();
      for (const input of byName.get(name)?.inputs ?? []) {
        if (!byName.has(source(input))) continue;
        found.add(source(input));
        for (const a of ancestorsOf(source(input))) found.add(a);
      }
      ancestors.set(name, found);
      return found;
    };
    const updates = nodes.filter((n) => n.op === 'ResourceApplyAdam');
    assert.equal(updates.length, network.variables.length, 'one update per weight');
    for (const update of updates) {
      const handle = update.inputs[0]!;
      const reads = new Set(nodes.filter((n) => n.op === 'ReadVariableOp' && n.inputs[0] === handle && nodes.indexOf(n) < nodes.indexOf(update)).map((n) => n.name));
      // Reshapes and the like share the read's buffer: their users hold it too.
      for (const n of nodes) if (['Reshape', 'Identity', 'ExpandDims', 'Squeeze'].includes(n.op) && reads.has(source(n.inputs[0] ?? ''))) reads.add(n.name);
      const users = nodes.filter((n) => n !== update && nodes.indexOf(n) < nodes.indexOf(update) && n.inputs.some((i) => !i.startsWith('^') && reads.has(source(i))));
      assert.ok(users.length > 0, `${update.name}: its weight is read`);
      for (const user of users) assert.ok(ancestorsOf(update.name).has(user.name), `${JSON.stringify(v.rnn)} ${update.name} runs before ${user.name} (${user.op}) is done with the weight`);
    }
  }
});

test('with XLA, the compiled step trains like the eager native step within 1e-5 (multi-task softmax, stride > 1, GRU, RMSprop, a partial batch), with no fallback', { skip }, () => {
  // XLA compiles each function for seconds: a few variants that cover the step's branches.
  const variants = [
    tinyVariant(),
    tinyVariant({ outputActivation: 'softmax', tasks: 3, rnnMerge: 'mul', poolStride: 3 }),
    tinyVariant({ poolSize: 6, poolStride: 6, rnn: 'gru', convStride: 2, optimizer: 'rmsprop' }),
  ];
  const tensorsBefore = tf.memory().numTensors;
  const log: string[] = [];
  for (const v of variants) {
    const weights = perturbedWeights(v);
    const eager = trainSteps(v, weights, false, 4);
    const xla = trainSteps(v, weights, true, 4, { xla: true, log: (line) => log.push(line) });
    const label = JSON.stringify(v);
    xla.losses.forEach((loss, i) => assert.ok(Math.abs(loss - eager.losses[i]!) <= 1e-5 * Math.max(1, Math.abs(eager.losses[i]!)), `${label}: step ${i} loss ${loss} vs ${eager.losses[i]}`));
    assert.equal(xla.dropout, eager.dropout, `${label}: the same dropout draws`);
    assert.equal(xla.optimizer.step, eager.optimizer.step, label);
    xla.weights.forEach((w, i) => assert.ok(maxRelativeDifference(w, eager.weights[i]!) <= 1e-5, `${label}: weight ${i}`));
    xla.optimizer.slots.forEach((s, i) => assert.ok(maxRelativeDifference(s, eager.optimizer.slots[i]!) <= 1e-5, `${label}: optimizer slot ${i}`));
  }
  assert.deepEqual(log, [], 'XLA compiled every step');
  assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensor is left behind');
});

test('inference on tfjs-node (predict, variants, ism): the compiled forward pass scores like the eager network to 1e-6, full and partial batches, both strands', { skip }, () => {
  const tensorsBefore = tf.memory().numTensors;
  const ops = TensorFlowOps.active();
  const registered: string[] = [];
  const removed: string[] = [];
  const addFunction = ops.addFunction.bind(ops);
  const removeFunction = ops.removeFunction.bind(ops);
  ops.addFunction = (def) => {
    registered.push(decodeString(readFields(readFields(def)[0]!.value as Uint8Array)[0]!.value));
    addFunction(def);
  };
  ops.removeFunction = (name) => {
    removed.push(name);
    removeFunction(name);
  };
  for (const v of [tinyVariant({ tasks: 2 }), tinyVariant({ rnn: 'gru', poolStride: 3, outputActivation: 'softmax', tasks: 3 })]) {
    const weights = perturbedWeights(v);
    const info: ModelInfo = { dir: 'unused', variant: v, taskNames: [], taskNamesKnown: false, reverseComplement: true, lengthPolicy: 'error' };
    const scorer = new WindowScorer(info, weights, 16, true);
    const windows = new Rng(2);
    const filled: Uint8Array[] = [];
    const scoreWindows = (count: number) => {
      for (let i = 0; i < count; i++) {
        const window = scorer.next();
        for (let j = 0; j < window.length; j++) window[j] = windows.int(0, 3);
        filled.push(window.slice());
      }
      return scorer.score();
    };
    // 40 windows: batches of 16, 16 and 8; then 5 more through the functions already made.
    const compiled = [...scoreWindows(40), ...scoreWindows(5)];
    scorer.dispose();
    // Today's path before the compiled forward: the fast network, op by op.
    const network = new Network({ ...v, batchSize: 16 }, weights);
    const records = new Uint8Array(filled.length * recordSize(v.seqLen, v.tasks));
    filled.forEach((w, i) => records.set(w, i * recordSize(v.seqLen, v.tasks)));
    const eager = [
      ...predict(network, memorySplit(records.subarray(0, 40 * recordSize(v.seqLen, v.tasks)), v.seqLen, v.tasks), true).scores,
      ...predict(network, memorySplit(records.subarray(40 * recordSize(v.seqLen, v.tasks)), v.seqLen, v.tasks), true).scores,
    ];
    network.dispose();
    assert.equal(compiled.length, 45 * v.tasks);
    compiled.forEach((p, i) => assert.ok(Math.abs(p - eager[i]!) <= 1e-6, `${JSON.stringify(v)}: value ${i}: ${p} vs ${eager[i]}`));
  }
  ops.addFunction = addFunction;
  ops.removeFunction = removeFunction;
  // Per model one function per batch size (16, 8, 5), each used and then freed: no fallback.
  assert.equal(registered.length, 6);
  assert.ok(registered.every((name) => name.startsWith('danq_sweep_forward_')));
  assert.deepEqual([...removed].sort(), [...registered].sort());
  assert.equal(tf.memory().numTensors, tensorsBefore, 'no tensor is left behind');
});
