/**
 * Training throughput (samples/s) and peak RSS, per model size, path and thread count, in one run:
 * - the wasm fast path (src/train/network.ts; wasm runs one thread in Node);
 * - the native path (src/train/native) on tfjs-node, compiled (one TensorFlow function call per
 *   batch, src/train/native/compiled-step.ts; with and without XLA, training.xla) and eager (op by
 *   op, with the fused kernels); the XLA row's warm-up batches include its seconds of compiling;
 * - stock tf.layers (`trainOnBatch`) on tfjs-node;
 * - PyTorch 2.x and Keras 3 / TensorFlow CPU from the bench venv (bench/train_throughput_torch.py,
 *   bench/train_throughput_keras.py), the same architecture, batch size and input shapes.
 * Every row runs in its own process (tfjs backends and TensorFlow's thread pools are per process;
 * peak RSS is the process's), at 1 and at 2 threads (TF_NUM_INTRAOP_THREADS, with inter-op threads as
 * the product picks them, trainingThreads(); torch.set_num_threads), for LSTM and GRU variants.
 * Timing: warm-up batches, then the best of `repeats` runs of `batches` batches.
 * The bench venv (gitignored), about two minutes:
 *   python3 -m venv .bench-venv && .bench-venv/bin/pip install torch tensorflow-cpu==2.21.0 keras
 *
 *   npm run bench:train -- [--models lite,mid,danq] [--rnn lstm,gru] [--threads 1,2] [--paths compiled,eager,...] [--json]
 * (--paths takes substrings of the path names; a smoke check: --models lite --rnn lstm --threads 1 --paths compiled)
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import type { VariantConfig } from '../src/model/config.js';
import { buildLayersModel } from '../src/model/layers.js';
import { Rng } from '../src/rng.js';
import { selectBackend } from '../src/train/backend.js';
import { trainingThreads } from '../src/train/process-env.js';
import { CompiledTrainStep } from '../src/train/native/compiled-step.js';
import { NativeNetwork } from '../src/train/native/network.js';
import { createNetwork, createOptimizer } from '../src/train/networks.js';
import { NativeOptimizer } from '../src/train/native/optimizer.js';
import { initialWeights } from '../src/train/fast/network.js';
import { trainStep, trainStepLoss } from '../src/train/train.js';
import { BENCH_MODELS, randomBatch } from './train-models.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const VENV_PYTHON = path.join(root, '.bench-venv', 'bin', 'python');

interface Timing {
  warmup: number;
  batches: number;
  repeats: number;
}

const TIMING: Record<string, Timing> = {
  lite: { warmup: 3, batches: 20, repeats: 3 },
  mid: { warmup: 2, batches: 8, repeats: 2 },
  danq: { warmup: 1, batches: 3, repeats: 1 },
};
const MODELS = Object.fromEntries(Object.entries(BENCH_MODELS).map(([name, m]) => [name, { label: m.label, variant: m.variant(), timing: TIMING[name]! }]));

type PathName =
  'wasm fast path' | 'compiled native (tfjs-node)' | 'compiled native + XLA (tfjs-node)' | 'eager native (tfjs-node)' | 'stock tf.layers (tfjs-node)' | 'PyTorch' | 'Keras 3 / TensorFlow';
const PATHS: PathName[] = [
  'wasm fast path',
  'compiled native (tfjs-node)',
  'compiled native + XLA (tfjs-node)',
  'eager native (tfjs-node)',
  'stock tf.layers (tfjs-node)',
  'PyTorch',
  'Keras 3 / TensorFlow',
];
type Rnn = VariantConfig['rnn'];

interface Measurement {
  samplesPerSec: number;
  peakRssMb: number;
  note?: string;
}

interface Row extends Partial<Measurement> {
  model: string;
  rnn: Rnn;
  path: PathName;
  threads: number;
  error?: string;
}

const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: 'lite,mid,danq' },
    rnn: { type: 'string', default: 'lstm,gru' },
    threads: { type: 'string', default: '1,2' },
    paths: { type: 'string' },
    json: { type: 'boolean', default: false },
    // Internal: measure one row in this process.
    row: { type: 'string' },
  },
});

if (args.row) {
  const { model, rnn, path: which } = JSON.parse(args.row) as { model: string; rnn: Rnn; path: PathName };
  console.log(JSON.stringify(await measureHere(BENCH_MODELS[model]!.variant({ rnn }), MODELS[model]!.timing, which)));
} else {
  const rows: Row[] = [];
  const paths = args.paths ? PATHS.filter((p) => args.paths!.split(',').some((s) => p.includes(s))) : PATHS;
  for (const model of args.models.split(',')) {
    if (!MODELS[model]) throw new Error(`--models: unknown model '${model}', expected ${Object.keys(MODELS).join(', ')}`);
    for (const name of args.rnn.split(',')) {
      if (name !== 'lstm' && name !== 'gru') throw new Error(`--rnn: expected lstm and/or gru, got '${name}'`);
      const rnn: Rnn = name;
      for (const threads of args.threads.split(',').map(Number)) {
        for (const which of paths) {
          // wasm has no threads in Node: one row.
          if (which === 'wasm fast path' && threads !== 1) continue;
          const row = { model, rnn, path: which, threads, ...measureInChild(model, rnn, which, threads) };
          rows.push(row);
          process.stderr.write(`${JSON.stringify(row)}\n`);
        }
      }
    }
  }
  print(rows);
}

function measureInChild(model: string, rnn: Rnn, which: PathName, threads: number): Omit<Row, 'model' | 'rnn' | 'path' | 'threads'> {
  const { intraOp, interOp } = trainingThreads(1, threads);
  const env = { ...process.env, TF_NUM_INTRAOP_THREADS: String(intraOp), TF_NUM_INTEROP_THREADS: String(interOp), TF_CPP_MIN_LOG_LEVEL: '2', OMP_NUM_THREADS: String(threads) };
  const { timing } = MODELS[model]!;
  const variant = BENCH_MODELS[model]!.variant({ rnn });
  let command: string;
  let argv: string[];
  if (which === 'PyTorch' || which === 'Keras 3 / TensorFlow') {
    if (!existsSync(VENV_PYTHON)) {
      return { error: 'no .bench-venv: python3 -m venv .bench-venv && .bench-venv/bin/pip install torch tensorflow-cpu==2.21.0 keras' };
    }
    command = VENV_PYTHON;
    const script = which === 'PyTorch' ? 'train_throughput_torch.py' : 'train_throughput_keras.py';
    argv = [path.join(root, 'bench', script), JSON.stringify({ variant, threads, ...timing })];
  } else {
    command = process.execPath;
    argv = ['--import', 'tsx', fileURLToPath(import.meta.url), '--row', JSON.stringify({ model, rnn, path: which })];
  }
  try {
    const out = execFileSync(command, argv, { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 });
    return JSON.parse(out.trim().split('\n').at(-1)!) as Measurement;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    const lines = stderr.split('\n').filter((l) => /Error|error:|not available/.test(l));
    return { error: (lines[0] ?? (err as Error).message).trim().slice(0, 160) };
  }
}

async function measureHere(v: VariantConfig, timing: Timing, which: PathName): Promise<Measurement> {
  const backend = which === 'wasm fast path' ? 'wasm' : 'tfjs-node';
  await selectBackend(backend);
  const { x, y } = randomBatch(v);
  let step: () => unknown;
  let dispose: () => void;
  if (which === 'stock tf.layers (tfjs-node)') {
    const model = buildLayersModel(v, { fastWeightInit: true });
    model.compile({ optimizer: v.optimizer === 'adam' ? tf.train.adam(v.learningRate) : tf.train.rmsprop(v.learningRate), loss: 'binaryCrossentropy' });
    const xs = tf.tensor3d(x, [v.batchSize, v.seqLen, 4]);
    const ys = tf.tensor2d(y, [v.batchSize, v.tasks]);
    step = () => model.trainOnBatch(xs, ys);
    dispose = () => {
      tf.dispose([xs, ys]);
      model.dispose();
    };
  } else {
    const network = createNetwork(backend, v, initialWeights(v, new Rng(1)));
    const optimizer = createOptimizer(backend, v.optimizer, v.learningRate, network.variables);
    const dropout = new Rng(5);
    const native = network instanceof NativeNetwork && optimizer instanceof NativeOptimizer;
    const compiled = which.startsWith('compiled native') && native ? new CompiledTrainStep(network, optimizer, { xla: which.includes('XLA') }) : undefined;
    step = compiled
      ? () => compiled.run(x, y, v.batchSize, dropout, (d) => trainStepLoss(network, optimizer, x, y, v.batchSize, d))
      : () => void trainStep(network, optimizer, x, y, v.batchSize, dropout);
    dispose = () => {
      compiled?.dispose();
      network.dispose();
      optimizer.dispose();
    };
  }
  for (let i = 0; i < timing.warmup; i++) await step();
  let best = 0;
  for (let r = 0; r < timing.repeats; r++) {
    const started = performance.now();
    for (let i = 0; i < timing.batches; i++) await step();
    best = Math.max(best, (timing.batches * v.batchSize) / ((performance.now() - started) / 1000));
  }
  dispose();
  return { samplesPerSec: best, peakRssMb: process.resourceUsage().maxRSS / 1024, note: which === 'stock tf.layers (tfjs-node)' ? 'trainOnBatch' : undefined };
}

function print(rows: Row[]): void {
  if (args.json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  const rateOf = (path: PathName) => new Map(rows.filter((r) => r.path === path).map((r) => [`${r.model}/${r.rnn}/${r.threads}`, r.samplesPerSec]));
  const torch = rateOf('PyTorch');
  const keras = rateOf('Keras 3 / TensorFlow');
  const oneThread = new Map(rows.filter((r) => r.threads === 1).map((r) => [`${r.model}/${r.rnn}/${r.path}`, r.samplesPerSec]));
  console.log(`node ${process.version}, tfjs ${tf.version.tfjs}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores`);
  console.log('| model | rnn | path | threads | samples/s | vs PyTorch (same threads) | vs Keras 3 (same threads) | vs own 1 thread | peak RSS |');
  console.log('|---|---|---|---:|---:|---:|---:|---:|---:|');
  const ratio = (a: number | undefined, b: number | undefined) => (a && b ? `${Number((a / b).toPrecision(2))}x` : '');
  for (const r of rows) {
    const rate = r.samplesPerSec === undefined ? (r.error ?? 'n/a') : r.samplesPerSec.toFixed(r.samplesPerSec < 100 ? 1 : 0);
    const rss = r.peakRssMb === undefined ? '' : `${(r.peakRssMb / 1024).toFixed(2)} GB`;
    const key = `${r.model}/${r.rnn}/${r.threads}`;
    const scaling = r.threads === 1 ? '' : ratio(r.samplesPerSec, oneThread.get(`${r.model}/${r.rnn}/${r.path}`));
    console.log(
      `| ${MODELS[r.model]!.label} | ${r.rnn} | ${r.path} | ${r.threads} | ${rate} | ${ratio(r.samplesPerSec, torch.get(key))} | ${ratio(r.samplesPerSec, keras.get(key))} | ${scaling} | ${rss} |`,
    );
  }
}
