/**
 * The environment of processes that load TensorFlow: which GPU it may find, its threads, its log
 * level, and what a training process may see of its parent's environment. No tfjs import, so the
 * CLI and the runner can use it before (or without) loading TensorFlow.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { UserError } from '../errors.js';

/**
 * Why this machine has no NVIDIA GPU for TensorFlow, or undefined when it may have one. Cheap and
 * pure (no tfjs, no CUDA): `auto` asks it before loading tfjs-node-gpu at all.
 */
export function nvidiaGpuAbsence(env: Record<string, string | undefined> = process.env, exists: (file: string) => boolean = existsSync): string | undefined {
  const visible = env.CUDA_VISIBLE_DEVICES;
  if (visible !== undefined && (visible.trim() === '' || visible.trim() === '-1')) return `CUDA_VISIBLE_DEVICES='${visible}' hides every GPU`;
  if (!exists('/proc/driver/nvidia/version')) return 'no NVIDIA driver: /proc/driver/nvidia/version is absent';
  return undefined;
}

/**
 * TensorFlow threads for each of `slots` training processes sharing `cores`: the cores split evenly
 * (at least one each), so one trial on a 16-core machine gets them all while 16 trials get one each
 * (per-op overhead dominates small models: slots already use the cores). Of a process's threads,
 * two run a compiled step's independent branches (the two RNN directions) side by side as inter-op
 * threads, each with half the share as intra-op threads: intra x inter never exceeds
 * the process's share, since oversubscribed cores slowed every model (2 cores, 2 intra x 2 inter
 * against 1 x 2: mid 1,769 against 2,145 samples/s; full DanQ alone gained, 112 against 104).
 */
export function trainingThreads(slots: number, cores: number): { intraOp: number; interOp: number } {
  return splitThreads(Math.max(1, Math.floor(cores / Math.max(1, slots))));
}

function splitThreads(threads: number): { intraOp: number; interOp: number } {
  const interOp = Math.min(2, threads);
  return { intraOp: Math.max(1, Math.floor(threads / interOp)), interOp };
}

/**
 * TensorFlow's start-up chatter off (TF_CPP_MIN_LOG_LEVEL=2 unless set): read once, when the native
 * library loads, so it must be in the environment before then. For every process that loads it
 * (training processes, CLI commands); isSuppressedTensorFlowLine drops what the level does not reach.
 */
export function quietTensorFlowEnv(env: Record<string, string | undefined> = process.env): Record<string, string | undefined> {
  return { ...env, TF_CPP_MIN_LOG_LEVEL: env.TF_CPP_MIN_LOG_LEVEL || '2' };
}

/**
 * The switch for cuDNN (src/train/native/rnn.ts): `DANQ_SWEEP_CUDNN_RNN=1` runs LSTM through CudnnRNNV3 when TensorFlow
 * runs on a GPU. Off by default because that path has never run (no CUDA 12 GPU reachable from
 * this project); without it a GPU runs the block kernels, which TensorFlow also has for GPU.
 */
export const CUDNN_SWITCH = 'DANQ_SWEEP_CUDNN_RNN';

/**
 * What a training process may see of its parent's environment: the system's basics, TensorFlow's,
 * CUDA's and the CPU math libraries' settings, Node's and tsx's own, and the cuDNN switch. Not the
 * secrets a worker holds (DATABASE_URL, AWS_*, SWEEP_API_TOKEN, TEMPORAL_*): a child runs only the
 * training loop, and its parent stores every result.
 */
const TRAINING_ENV_NAMES = new Set(['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'TZ', 'TMPDIR', 'LD_LIBRARY_PATH', 'LD_PRELOAD', 'NODE_OPTIONS', 'NODE_PATH', 'XLA_FLAGS', CUDNN_SWITCH]);
const TRAINING_ENV_PREFIXES = ['LC_', 'TF_', 'CUDA_', 'CUDNN_', 'NVIDIA_', 'NCCL_', 'OMP_', 'KMP_', 'MKL_', 'ONEDNN_', 'DNNL_', 'TSX_'];
const passedToTraining = (name: string) => TRAINING_ENV_NAMES.has(name) || TRAINING_ENV_PREFIXES.some((prefix) => name.startsWith(prefix));

/**
 * The environment of a training process (only the names above): TensorFlow's start-up chatter off
 * (quietTensorFlowEnv) and its threads from `trainingThreads(slots, cores)`. SWEEP_TRAIN_THREADS=N
 * gives each process N threads instead, split the same way; TF_NUM_INTRAOP_THREADS / TF_NUM_INTEROP_THREADS /
 * TF_CPP_MIN_LOG_LEVEL, when set, win.
 */
export function trainingProcessEnv(env: Record<string, string | undefined> = process.env, slots = 1, cores = os.availableParallelism()): Record<string, string | undefined> {
  const raw = env.SWEEP_TRAIN_THREADS;
  let threads = trainingThreads(slots, cores);
  if (raw !== undefined && raw !== '') {
    const count = Number(raw);
    if (!Number.isInteger(count) || count < 1) throw new UserError(`SWEEP_TRAIN_THREADS: expected a whole number of threads >= 1, got '${raw}'`);
    threads = splitThreads(count);
  }
  return {
    ...quietTensorFlowEnv(Object.fromEntries(Object.entries(env).filter(([name]) => passedToTraining(name)))),
    TF_NUM_INTRAOP_THREADS: env.TF_NUM_INTRAOP_THREADS || String(threads.intraOp),
    TF_NUM_INTEROP_THREADS: env.TF_NUM_INTEROP_THREADS || String(threads.interOp),
  };
}

/**
 * TensorFlow's own stderr lines that TF_CPP_MIN_LOG_LEVEL does not reach (absl logs everything
 * before its initialisation, e.g. the oneDNN notice): true for an INFO line at level >= 1 and a
 * WARNING line at level >= 2. The runner keeps them out of the trial log, not out of crash reports.
 */
export function isSuppressedTensorFlowLine(line: string, minLogLevel: string | undefined): boolean {
  const level = Number(minLogLevel ?? 0);
  if (line === 'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR') return level >= 1;
  const severity = /^([IWEF])\d{4} \d\d:\d\d:\d+\.\d+ +\d+ [\w.-]+:\d+\] /.exec(line)?.[1];
  return (severity === 'I' && level >= 1) || (severity === 'W' && level >= 2);
}
