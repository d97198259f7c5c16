/**
 * Training throughput (samples/s, one core) per backend and model size:
 * - the fast path (src/train) through the real training loop, on wasm and on the pure-JS cpu backend;
 * - the stock tf.layers model (`trainOnBatch`) on cpu as the reference (it cannot train on wasm,
 *   which has no conv gradient kernel: that row shows the error);
 * - PyTorch CPU on one thread (bench/train_throughput_torch.py) when /usr/bin/python3 imports torch.
 * Every number is the best of a few short timed runs after a warm-up.
 *
 *   node --import tsx bench/train-throughput.ts [--batches N] [--repeats N] [--stock-batches N] [--json]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { resolveSynthOptions, syntheticSplit } from '../src/data/index.js';
import type { VariantConfig } from '../src/model/config.js';
import { buildLayersModel } from '../src/model/layers.js';
import { resolveVariant } from '../src/model/presets.js';
import { selectBackend } from '../src/train/backend.js';
import { trainModel } from '../src/train/train.js';
import type { BackendName } from '../src/train/types.js';

const { values: args } = parseArgs({
  options: {
    batches: { type: 'string', default: '10' },
    repeats: { type: 'string', default: '3' },
    'stock-batches': { type: 'string', default: '2' },
    json: { type: 'boolean', default: false },
  },
});
const batches = Number(args.batches);
const repeats = Number(args.repeats);
const stockBatches = Number(args['stock-batches']);

/** `stockBatch`: the stock path takes seconds per sample on the pure-JS backend, so it gets small batches. */
const SIZES: { name: string; variant: VariantConfig; stockBatch: number }[] = [
  { name: 'danq-lite', variant: resolveVariant('danq-lite', {}), stockBatch: 64 },
  {
    name: 'mid (500 bp, 128x19, pool 13, BiLSTM 64, dense 128)',
    variant: resolveVariant('danq-lite', { seqLen: 500, convFilters: 128, poolSize: 13, rnnUnits: 64, denseUnits: 128 }),
    stockBatch: 8,
  },
];

interface Row {
  model: string;
  path: string;
  backend: string;
  samplesPerSec: number | null;
  note?: string;
}

const rows: Row[] = [];
for (const { name, variant, stockBatch } of SIZES) {
  const torch = torchSamplesPerSec(variant);
  for (const backend of ['wasm', 'cpu'] as const) {
    // The pure-JS backend is ~20x slower: fewer batches keep the bench short.
    const n = backend === 'cpu' ? Math.max(1, Math.round(batches / 5)) : batches;
    rows.push({ model: name, path: 'fast (src/train)', backend, samplesPerSec: await fastSamplesPerSec(variant, backend, n) });
  }
  for (const backend of ['cpu', 'wasm'] as const) {
    rows.push({ model: name, path: 'stock tf.layers', backend, ...(await stockSamplesPerSec({ ...variant, batchSize: stockBatch }, backend)) });
  }
  rows.push({ model: name, path: 'PyTorch (reference)', backend: 'cpu, 1 thread', ...torch });
}
print(rows);

/** Best epoch throughput of the real training loop; each epoch is `n` batches, the first is warm-up. */
async function fastSamplesPerSec(variant: VariantConfig, backend: BackendName, n: number): Promise<number> {
  const count = n * variant.batchSize;
  const split = (samples: number, seed: number) =>
    syntheticSplit(resolveSynthOptions({ tasks: variant.tasks, samples, seqLen: variant.seqLen, seed }));
  const train = split(count, 1);
  const valid = split(variant.batchSize, 2);
  const checkpointDir = mkdtempSync(path.join(os.tmpdir(), 'danq-bench-'));
  try {
    const v = { ...variant, epochs: repeats + 1 };
    const dataset = { fingerprint: 'bench', seqLen: v.seqLen, taskNames: [], splits: { train: { path: '', count }, valid: { path: '', count: v.batchSize } } };
    const result = await trainModel({ variant: v, dataset, backend, untilEpoch: v.epochs, checkpointDir }, { train, valid });
    return Math.max(...result.epochs.slice(1).map((e) => e.samplesPerSec));
  } finally {
    rmSync(checkpointDir, { recursive: true, force: true });
  }
}

/** The stock Keras-style model: tf.layers conv1d + Bidirectional LSTM, `trainOnBatch`. */
async function stockSamplesPerSec(variant: VariantConfig, backend: BackendName): Promise<Omit<Row, 'model' | 'path' | 'backend'>> {
  await selectBackend(backend);
  const model = buildLayersModel(variant);
  model.compile({ optimizer: tf.train.adam(variant.learningRate), loss: 'binaryCrossentropy' });
  const x = tf.tidy(() => tf.oneHot(tf.randomUniform([variant.batchSize, variant.seqLen], 0, 4, 'int32'), 4).toFloat());
  const y = tf.tidy(() => tf.randomUniform([variant.batchSize, variant.tasks]).round());
  try {
    await model.trainOnBatch(x, y);
    const started = performance.now();
    for (let i = 0; i < stockBatches; i++) await model.trainOnBatch(x, y);
    const samplesPerSec = (stockBatches * variant.batchSize) / ((performance.now() - started) / 1000);
    return { samplesPerSec, note: `batch ${variant.batchSize}` };
  } catch (err) {
    return { samplesPerSec: null, note: `cannot train: ${(err as Error).message.split('\n')[0]}` };
  } finally {
    tf.dispose([x, y]);
    model.dispose();
  }
}

function torchSamplesPerSec(variant: VariantConfig): Omit<Row, 'model' | 'path' | 'backend'> {
  const script = fileURLToPath(new URL('./train_throughput_torch.py', import.meta.url));
  try {
    const out = execFileSync('/usr/bin/python3', [script, JSON.stringify({ variant, warmup: 3, batches, repeats })], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const { torch, samplesPerSec } = JSON.parse(out.trim().split('\n').at(-1)!) as { torch: string; samplesPerSec: number };
    return { samplesPerSec, note: `torch ${torch}` };
  } catch (err) {
    return { samplesPerSec: null, note: `skipped: ${String((err as { stderr?: string }).stderr || (err as Error).message).trim().split('\n').at(-1)}` };
  }
}

function print(table: Row[]): void {
  if (args.json) {
    console.log(JSON.stringify(table, null, 2));
    return;
  }
  const reference = new Map(table.filter((r) => r.path.startsWith('PyTorch')).map((r) => [r.model, r.samplesPerSec]));
  console.log(`node ${process.version}, tfjs ${tf.version.tfjs}, ${os.cpus()[0]?.model ?? 'unknown CPU'}; one core per row`);
  console.log('| model | path | backend | samples/s | vs PyTorch | note |');
  console.log('|---|---|---|---:|---:|---|');
  for (const r of table) {
    const torch = reference.get(r.model);
    const ratio = r.samplesPerSec !== null && torch ? `${Number((r.samplesPerSec / torch).toPrecision(2))}x` : '';
    const rate = r.samplesPerSec === null ? 'n/a' : r.samplesPerSec.toFixed(r.samplesPerSec < 10 ? 2 : 0);
    console.log(`| ${r.model} | ${r.path} | ${r.backend} | ${rate} | ${ratio} | ${r.note ?? ''} |`);
  }
}
