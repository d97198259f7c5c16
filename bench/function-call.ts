/**
 * One TensorFlow function call against the same ops issued eagerly, one executeOp each (the
 * native training path today): MatMul + BiasAdd of a DanQ-lite dense layer, and a chain of small
 * elementwise ops standing for the many small ops of a step. Rounds interleave the two so load on
 * the machine hits both alike. Run it on a quiet machine; `--rounds 2 --calls 50` is a smoke check.
 *
 *   node --import tsx bench/function-call.ts [--rounds 5] [--calls 2000] [--chain 40]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../src/train/backend.js';
import { DT, encodeFunctionDef, type FunctionNode } from '../src/train/native/tensorflow-function.js';
import { TensorFlowOps } from '../src/train/native/tensorflow-ops.js';

const { values: args } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, calls: { type: 'string', default: '2000' }, chain: { type: 'string', default: '40' } } });
const rounds = Number(args.rounds);
const calls = Number(args.calls);
const chainLength = Number(args.chain);

process.env.TF_NUM_INTRAOP_THREADS ??= '1';
process.env.TF_NUM_INTEROP_THREADS ??= '1';
process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
await selectBackend('tfjs-node');
const ops = TensorFlowOps.active();
const T = ops.float32();
const matMulAttrs = [T, ops.bool('transpose_a', false), ops.bool('transpose_b', false)];
const biasAttrs = [T, ops.string('data_format', 'NHWC')];

const dense: FunctionNode[] = [
  { name: 'mm', op: 'MatMul', attrs: matMulAttrs, inputs: [{ arg: 'x' }, { arg: 'w' }] },
  { name: 'bias', op: 'BiasAdd', attrs: biasAttrs, inputs: [{ node: 'mm', output: 0 }, { arg: 'b' }] },
];
ops.addFunction(
  encodeFunctionDef(
    {
      name: 'bench_dense',
      inputs: ['x', 'w', 'b'].map((name) => ({ name, dtype: DT.FLOAT })),
      outputs: [{ name: 'y', dtype: DT.FLOAT, from: { node: 'bias', output: 0 } }],
      nodes: dense,
    },
    ops.opCatalog(),
  ),
);
// x -> x * s + s, chainLength times: small ops whose cost is mostly dispatch.
const chain: FunctionNode[] = [];
for (let i = 0; i < chainLength; i++) {
  const previous = i === 0 ? { arg: 'x' } : { node: `add${i - 1}`, output: 0 };
  chain.push({ name: `mul${i}`, op: 'Mul', attrs: [T], inputs: [previous, { arg: 's' }] }, { name: `add${i}`, op: 'AddV2', attrs: [T], inputs: [{ node: `mul${i}`, output: 0 }, { arg: 's' }] });
}
ops.addFunction(
  encodeFunctionDef(
    {
      name: 'bench_chain',
      inputs: ['x', 's'].map((name) => ({ name, dtype: DT.FLOAT })),
      outputs: [{ name: 'y', dtype: DT.FLOAT, from: { node: `add${chainLength - 1}`, output: 0 } }],
      nodes: chain,
    },
    ops.opCatalog(),
  ),
);

const x = tf.randomNormal([64, 128]);
const w = tf.randomNormal([128, 32]);
const b = tf.randomNormal([32]);
const small = tf.randomNormal([64, 32]);
const s = tf.scalar(0.5);

const cases: Record<string, () => tf.Tensor> = {
  'dense eager (2 ops)': () => {
    const [mm] = ops.run('MatMul', matMulAttrs, [x, w], 1);
    const [y] = ops.run('BiasAdd', biasAttrs, [mm, b], 1);
    mm!.dispose();
    return y!;
  },
  'dense function (1 call)': () => ops.run('bench_dense', [], [x, w, b], 1)[0]!,
  [`chain eager (${2 * chainLength} ops)`]: () => {
    let y = small;
    for (let i = 0; i < chainLength; i++) {
      const [m] = ops.run('Mul', [T], [y, s], 1);
      if (y !== small) y.dispose();
      [y] = ops.run('AddV2', [T], [m, s], 1) as [tf.Tensor];
      m!.dispose();
    }
    return y;
  },
  'chain function (1 call)': () => ops.run('bench_chain', [], [small, s], 1)[0]!,
};

const check = (a: tf.Tensor, c: tf.Tensor) => tf.max(tf.abs(tf.sub(a, c))).dataSync()[0]!;
const names = Object.keys(cases);
console.log(`same results: dense ${check(cases[names[0]!]!(), cases[names[1]!]!())}, chain ${check(cases[names[2]!]!(), cases[names[3]!]!())} (max abs difference)`);
const best: Record<string, number> = {};
for (let round = 0; round < rounds; round++) {
  for (const name of names) {
    const run = cases[name]!;
    const started = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) run().dispose();
    const microseconds = Number(process.hrtime.bigint() - started) / 1000 / calls;
    best[name] = Math.min(best[name] ?? Infinity, microseconds);
  }
}
console.log(`| case | µs per call (best of ${rounds} rounds x ${calls}) |\n|---|---:|`);
for (const name of names) console.log(`| ${name} | ${best[name]!.toFixed(1)} |`);
