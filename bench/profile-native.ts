/**
 * Where a native training step's time goes, per TensorFlow op kind per batch (a profile, not a
 * benchmark). Every op tfjs-node runs, its own kernels and the ones src/train/native runs by name,
 * goes through the addon's `executeOp`, which runs synchronously: timing that call gives each op's
 * exclusive wall time. The rest of the step is "host and dispatch": im2col, uploads, tfjs's engine
 * and tape. Run it on a quiet machine.
 * The compiled step (--path compiled) is one executeOp per batch: its row is the whole function
 * (TensorFlow's executor, every kernel inside it), and the rest is the host's share (im2col,
 * uploads, the weights' tfjs handles); TensorFlow does not report per-op times of a function here.
 *
 *   npm run bench:profile -- [--model lite|mid|danq] [--rnn lstm|gru] [--path compiled|eager] [--batches 10] [--threads 1]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../src/rng.js';
import { selectBackend } from '../src/train/backend.js';
import { CompiledTrainStep } from '../src/train/native/compiled-step.js';
import { NativeNetwork } from '../src/train/native/network.js';
import { NativeOptimizer } from '../src/train/native/optimizer.js';
import { initialWeights } from '../src/train/network.js';
import { trainStep, trainStepLoss } from '../src/train/train.js';
import { BENCH_MODELS, randomBatch } from './train-models.js';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'lite' },
    rnn: { type: 'string', default: 'lstm' },
    batches: { type: 'string', default: '10' },
    threads: { type: 'string', default: '1' },
    path: { type: 'string', default: 'compiled' },
  },
});
const model = BENCH_MODELS[args.model];
if (!model) throw new Error(`--model: expected one of ${Object.keys(BENCH_MODELS).join(', ')}, got '${args.model}'`);
if (args.rnn !== 'lstm' && args.rnn !== 'gru') throw new Error(`--rnn: expected lstm or gru, got '${args.rnn}'`);
if (args.path !== 'compiled' && args.path !== 'eager') throw new Error(`--path: expected compiled or eager, got '${args.path}'`);
const v = model.variant({ rnn: args.rnn });
const batches = Number(args.batches);
// TensorFlow reads its thread counts when the backend loads.
process.env.TF_NUM_INTRAOP_THREADS ??= args.threads;
process.env.TF_NUM_INTEROP_THREADS ??= '1';
process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
await selectBackend('tfjs-node');

const { x, y } = randomBatch(v);
const network = new NativeNetwork(v, initialWeights(v, new Rng(1)));
const optimizer = new NativeOptimizer(v.optimizer, v.learningRate, network.variables);
const dropout = new Rng(5);
const compiled = args.path === 'compiled' ? new CompiledTrainStep(network, optimizer) : undefined;
const step = compiled
  ? () => compiled.run(x, y, v.batchSize, dropout, (d) => trainStepLoss(network, optimizer, x, y, v.batchSize, d))
  : () => trainStep(network, optimizer, x, y, v.batchSize, dropout);
for (let i = 0; i < 3; i++) step();

const byKind = new Map<string, { ms: number; calls: number }>();
type Binding = { executeOp: (name: string, ...rest: unknown[]) => unknown };
const backend = tf.backend() as unknown as { binding: Binding };
const binding = backend.binding;
// The addon's exports are read-only: the backend gets an object that inherits them, with executeOp timed.
backend.binding = Object.create(binding, {
  executeOp: {
    value: (name: string, ...rest: unknown[]) => {
      const opStarted = performance.now();
      const outputs = binding.executeOp(name, ...rest);
      const kind = name.startsWith('danq_sweep_step_') ? 'compiled step function (one call)' : name;
      const entry = byKind.get(kind) ?? { ms: 0, calls: 0 };
      entry.ms += performance.now() - opStarted;
      entry.calls++;
      byKind.set(kind, entry);
      return outputs;
    },
  },
}) as Binding;
const started = performance.now();
for (let b = 0; b < batches; b++) step();
const wall = performance.now() - started;
backend.binding = binding;
compiled?.dispose();
network.dispose();
optimizer.dispose();

const rows = [...byKind.entries()].map(([kind, { ms, calls }]) => ({ kind, ms: ms / batches, calls: calls / batches })).sort((a, b) => b.ms - a.ms);
const kernels = rows.reduce((sum, r) => sum + r.ms, 0);
const perBatch = wall / batches;
console.log(
  `${args.model} (${v.rnn}, ${args.path} step), batch ${v.batchSize}, ${process.env.TF_NUM_INTRAOP_THREADS} intra-op thread(s): ${perBatch.toFixed(1)} ms per batch, ${((v.batchSize * 1000) / perBatch).toFixed(0)} samples/s`,
);
console.log('| op kind | ms per batch | calls per batch | share |');
console.log('|---|---:|---:|---:|');
for (const r of [...rows, { kind: 'host and dispatch (rest of the step)', ms: perBatch - kernels, calls: 0 }]) {
  console.log(`| ${r.kind} | ${r.ms.toFixed(2)} | ${r.calls ? r.calls.toFixed(0) : ''} | ${((100 * r.ms) / perBatch).toFixed(1)}% |`);
}
