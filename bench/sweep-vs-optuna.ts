/**
 * `npm run bench:sweep`: the same small sweep end to end, by danq-sweep and by the script a user
 * would write instead, wall time for each. 8 random trials x 5 epochs of DanQ-lite (seqLen 150,
 * one task) on 3,000 + 1,000 synthetic sequences (written here as TSV files both sides read), 2
 * trials at a time:
 * - danq-sweep: `sweep start SPEC` on the embedded stack (Temporal dev server and PostgreSQL
 *   started by the CLI itself, in a fresh SWEEP_HOME): the wall time includes the stack's start;
 * - Optuna 5 + PyTorch 2 (bench/sweep_optuna_torch.py): two processes on one Optuna journal
 *   file (JournalFileBackend), RandomSampler, one torch thread each, 4 trials each, the same
 *   architecture (bench/train_throughput_torch.py's DanQ), batch size, epochs and search space.
 * The bench venv (gitignored): python3 -m venv .bench-venv && .bench-venv/bin/pip install torch optuna
 * Run it on a quiet machine; `--samples 300 --epochs 1 --trials 2` is a smoke check.
 *
 *   npm run bench:sweep -- [--samples 3000] [--valid 1000] [--epochs 5] [--trials 8] [--scale 10] [--skip-optuna] [--timings]
 * (--scale 10 multiplies both dataset sizes: the 30,000 + 10,000 sequence run; --timings prints
 * sweep start's --timings tables.)
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { resolveSynthOptions, synthesize } from '../src/data/synth.js';
import { resolveVariant } from '../src/model/presets.js';

const { values: args } = parseArgs({
  options: {
    samples: { type: 'string', default: '3000' },
    valid: { type: 'string', default: '1000' },
    epochs: { type: 'string', default: '5' },
    trials: { type: 'string', default: '8' },
    scale: { type: 'string', default: '1' },
    'skip-optuna': { type: 'boolean', default: false },
    timings: { type: 'boolean', default: false },
  },
});
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const VENV_PYTHON = path.join(root, '.bench-venv', 'bin', 'python');
const SEQ_LEN = 150;
const CONCURRENCY = 2;
const scale = Number(args.scale);
const trainCount = Number(args.samples) * scale;
const validCount = Number(args.valid) * scale;
const epochs = Number(args.epochs);
const trials = Number(args.trials);
const SPACE = { rnn: ['lstm', 'gru'], convFilters: [32, 64], learningRate: [0.001, 0.003] };

const work = mkdtempSync(path.join(tmpdir(), 'bench-sweep-'));
try {
  const writeTsv = (file: string, samples: number, seed: number) => {
    const lines = ['id\tsequence\tmotif'];
    for (const r of synthesize(resolveSynthOptions({ samples, seqLen: SEQ_LEN, seed }))) lines.push(`${r.id}\t${r.sequence}\t${r.labels[0]}`);
    writeFileSync(path.join(work, file), lines.join('\n') + '\n');
  };
  writeTsv('train.tsv', trainCount, 1);
  writeTsv('valid.tsv', validCount, 2);
  const model = { preset: 'danq-lite', seqLen: SEQ_LEN, tasks: 1 };
  const spec = {
    name: 'bench-sweep',
    dataset: { train: 'train.tsv', valid: 'valid.tsv' },
    model,
    space: SPACE,
    strategy: { type: 'random', trials, seed: 1 },
    training: { epochs, batchSize: 64, seed: 1 },
    objective: { metric: 'val_auc' },
    maxConcurrentTrials: CONCURRENCY,
  };
  writeFileSync(path.join(work, 'spec.json'), JSON.stringify(spec, null, 2));
  console.log(`${trials} trials x ${epochs} epochs of DanQ-lite (seqLen ${SEQ_LEN}) on ${trainCount} + ${validCount} sequences, ${CONCURRENCY} at a time`);

  const started = performance.now();
  const env = { ...process.env, SWEEP_HOME: path.join(work, 'home') };
  const timings = args.timings ? ['--timings'] : [];
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [path.join(root, 'bin/sweep.js'), 'start', path.join(work, 'spec.json'), '--json', ...timings], { env, maxBuffer: 1 << 30 });
  const sweepSeconds = (performance.now() - started) / 1000;
  if (args.timings) console.log(stderr.slice(stderr.indexOf('phase')));
  const summary = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { trials?: { status: string }[] };
  const completed = (summary.trials ?? []).filter((t) => t.status === 'completed').length;
  console.log(`danq-sweep (sweep start, embedded stack): ${sweepSeconds.toFixed(1)} s (${completed} of ${trials} trials completed)`);

  if (args['skip-optuna']) process.exit(0);
  if (!existsSync(VENV_PYTHON)) {
    console.log('Optuna + PyTorch: skipped, no .bench-venv (python3 -m venv .bench-venv && .bench-venv/bin/pip install torch optuna)');
    process.exit(0);
  }
  const variant = resolveVariant('danq-lite', { seqLen: SEQ_LEN, tasks: 1, epochs, batchSize: 64 });
  const config = JSON.stringify({
    variant,
    space: SPACE,
    train: path.join(work, 'train.tsv'),
    valid: path.join(work, 'valid.tsv'),
    journal: path.join(work, 'optuna.journal'),
    trials: trials / CONCURRENCY,
    seed: 1,
  });
  const peerStarted = performance.now();
  await Promise.all(
    Array.from(
      { length: CONCURRENCY },
      (_, worker) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(VENV_PYTHON, [path.join(root, 'bench', 'sweep_optuna_torch.py'), config, String(worker)], {
            env: { ...process.env, OMP_NUM_THREADS: '1' },
            stdio: ['ignore', 'inherit', 'inherit'],
          });
          child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sweep_optuna_torch.py worker ${worker} exited with ${code}`))));
        }),
    ),
  );
  const peerSeconds = (performance.now() - peerStarted) / 1000;
  console.log(`Optuna 5 + PyTorch 2 (${CONCURRENCY} processes, one journal, 1 torch thread each): ${peerSeconds.toFixed(1)} s`);
  console.log(`danq-sweep / Optuna + PyTorch: ${(sweepSeconds / peerSeconds).toFixed(2)}x the time`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
