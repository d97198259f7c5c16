/**
 * Where a native training step's time goes, per TensorFlow op kind per batch (a profile, not a
 * benchmark). Every op tfjs-node runs, its own kernels and the ones src/train/native runs by name,
 * goes through the addon's `executeOp`, which runs synchronously: timing that call gives each op's
 * exclusive wall time. The rest of the step is "host and dispatch": im2col, uploads, tfjs's engine
 * and tape. Run it on a quiet machine.
 * The compiled step (--path compiled) is one executeOp per batch: its row is the whole function
 * (TensorFlow's executor, every kernel inside it), and the rest is the host's share (im2col,
 * uploads, the weights' tfjs handles). TensorFlow's own per-node step stats would need RunMetadata
 * from the eager context, which the addon does not expose (a binding addition and a rebuild of
 * the shared addon); instead the function's node list, which is recorded from the eager step and
 * holds the same ops, is timed op by op in the same process: the second table gives each op kind's
 * kernel time as the eager step runs it, against the function's time, and the difference is what
 * TensorFlow's executor adds (+) or its graph optimisations and overlap save (-).
 *
 * --graph: TensorFlow's own per-node view of the compiled function. The step function is exported
 * (its FunctionDef, the weights' shapes, the recorded step's inputs) to a temp folder and run by
 * bench/profile_graph.py under TensorFlow's profiler in the bench venv's Python (same TensorFlow
 * 2.21 kernels, the same intra-op and inter-op threads), next to Keras 3's train step for the same variant: a table of kernel kind ->
 * ms per batch, ours vs Keras, and what Grappler made of the function.
 *
 *   npm run bench:profile -- [--model lite|mid|danq] [--rnn lstm|gru] [--path compiled|eager] [--batches 10] [--threads 1] [--graph]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../src/rng.js';
import { selectBackend } from '../src/train/backend.js';
import { trainingThreads } from '../src/train/process-env.js';
import { CompiledTrainStep, type ExportedFunction } from '../src/train/native/compiled-step.js';
import { NativeNetwork } from '../src/train/native/network.js';
import { NativeOptimizer } from '../src/train/native/optimizer.js';
import { initialWeights } from '../src/train/fast/network.js';
import { trainStep, trainStepLoss } from '../src/train/train.js';
import { BENCH_MODELS, randomBatch } from './train-models.js';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'lite' },
    rnn: { type: 'string', default: 'lstm' },
    batches: { type: 'string', default: '10' },
    threads: { type: 'string', default: '1' },
    path: { type: 'string', default: 'compiled' },
    graph: { type: 'boolean', default: false },
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
// As the product picks them for one trial on this many cores (TF_NUM_INTEROP_THREADS wins).
process.env.TF_NUM_INTEROP_THREADS ??= String(trainingThreads(1, Number(args.threads)).interOp);
process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
await selectBackend('tfjs-node');

const { x, y } = randomBatch(v);
const network = new NativeNetwork(v, initialWeights(v, new Rng(1)));
const optimizer = new NativeOptimizer(v.optimizer, v.learningRate, network.variables);
const dropout = new Rng(5);
const graphFolder = args.graph ? mkdtempSync(path.join(os.tmpdir(), 'profile-graph-')) : undefined;
/** Writes the step function (the bench compiles one, for the full batch) for profile_graph.py: function.pb, function.json and one file per input. */
const exportFunction = (fn: ExportedFunction) => {
  if (!graphFolder) return;
  writeFileSync(path.join(graphFolder, 'function.pb'), fn.functionDef);
  const inputs = fn.inputs.map(({ kind, shape, dtype, values }, i) => {
    const file = `input_${i}.bin`;
    writeFileSync(path.join(graphFolder, file), values);
    return { kind, shape, dtype, file };
  });
  writeFileSync(path.join(graphFolder, 'function.json'), JSON.stringify({ name: fn.name, weightShapes: fn.weightShapes, inputs }));
};
const compiled = args.path === 'compiled' ? new CompiledTrainStep(network, optimizer, { exportFunction }) : undefined;
const step = compiled
  ? () => compiled.run(x, y, v.batchSize, dropout, (d) => trainStepLoss(network, optimizer, x, y, v.batchSize, d))
  : () => trainStep(network, optimizer, x, y, v.batchSize, dropout);
const eagerStep = () => trainStep(network, optimizer, x, y, v.batchSize, dropout);
for (let i = 0; i < 3; i++) step();

interface OpTimes {
  byKind: Map<string, { ms: number; calls: number }>;
  /** Wall time per batch. */
  perBatch: number;
}

/** Times `batches` calls of `run`, and each op kind's executeOp calls within them. */
function timeOps(run: () => unknown): OpTimes {
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
        const kind = name.startsWith('danq_sweep_step_') ? COMPILED_ROW : name;
        const entry = byKind.get(kind) ?? { ms: 0, calls: 0 };
        entry.ms += performance.now() - opStarted;
        entry.calls++;
        byKind.set(kind, entry);
        return outputs;
      },
    },
  }) as Binding;
  const started = performance.now();
  try {
    for (let b = 0; b < batches; b++) run();
  } finally {
    backend.binding = binding;
  }
  return { byKind, perBatch: (performance.now() - started) / batches };
}

const COMPILED_ROW = 'compiled step function (one call)';
const measured = timeOps(step);
// The function's nodes op by op: the eager step is the op sequence the function was recorded from.
const opByOp = compiled
  ? (() => {
      for (let i = 0; i < 3; i++) eagerStep();
      return timeOps(eagerStep);
    })()
  : undefined;
compiled?.dispose();
network.dispose();
optimizer.dispose();

const perKind = ({ byKind }: OpTimes) => [...byKind.entries()].map(([kind, { ms, calls }]) => ({ kind, ms: ms / batches, calls: calls / batches })).sort((a, b) => b.ms - a.ms);
const rows = perKind(measured);
const kernels = rows.reduce((sum, r) => sum + r.ms, 0);
const { perBatch } = measured;
console.log(
  `${args.model} (${v.rnn}, ${args.path} step), batch ${v.batchSize}, ${process.env.TF_NUM_INTRAOP_THREADS} intra-op, ${process.env.TF_NUM_INTEROP_THREADS} inter-op thread(s): ${perBatch.toFixed(1)} ms per batch, ${((v.batchSize * 1000) / perBatch).toFixed(0)} samples/s`,
);
console.log('| op kind | ms per batch | calls per batch | share |');
console.log('|---|---:|---:|---:|');
for (const r of [...rows, { kind: 'host and dispatch (rest of the step)', ms: perBatch - kernels, calls: 0 }]) {
  console.log(`| ${r.kind} | ${r.ms.toFixed(2)} | ${r.calls ? r.calls.toFixed(0) : ''} | ${((100 * r.ms) / perBatch).toFixed(1)}% |`);
}
if (opByOp) {
  const functionMs = measured.byKind.get(COMPILED_ROW)!.ms / batches;
  const nodes = perKind(opByOp);
  const nodeSum = nodes.reduce((sum, r) => sum + r.ms, 0);
  console.log(`\nInside the compiled function (${functionMs.toFixed(1)} ms per batch): its nodes timed op by op (eager kernels, same process)`);
  console.log('| op kind | ms per batch | nodes per batch | share of the function |');
  console.log('|---|---:|---:|---:|');
  for (const r of nodes) console.log(`| ${r.kind} | ${r.ms.toFixed(2)} | ${r.calls.toFixed(0)} | ${((100 * r.ms) / functionMs).toFixed(1)}% |`);
  console.log(`| sum of the nodes op by op | ${nodeSum.toFixed(2)} | | ${((100 * nodeSum) / functionMs).toFixed(1)}% |`);
  console.log(`| executor overhead (+) or graph optimisation and overlap (-) | ${(functionMs - nodeSum).toFixed(2)} | | ${((100 * (functionMs - nodeSum)) / functionMs).toFixed(1)}% |`);
}

if (graphFolder) {
  const python = path.join(path.dirname(path.dirname(fileURLToPath(import.meta.url))), '.bench-venv', 'bin', 'python');
  const script = fileURLToPath(new URL('profile_graph.py', import.meta.url));
  try {
    execFileSync(python, [script, graphFolder, JSON.stringify({ variant: v, intraOp: Number(process.env.TF_NUM_INTRAOP_THREADS), interOp: Number(process.env.TF_NUM_INTEROP_THREADS), batches })], {
      stdio: 'inherit',
    });
  } finally {
    rmSync(graphFolder, { recursive: true, force: true });
  }
}
