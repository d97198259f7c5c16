/**
 * The training contract between the orchestrator (activities, runner) and the training engine.
 * Plain JSON except `bestValAuc`, which is NaN when no epoch has completed.
 */
import type { S3Options } from '../artifacts/index.js';
import type { DatasetManifest } from '../data/types.js';
import type { VariantConfig } from '../model/config.js';

export type BackendName = 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';

export interface EpochMetrics {
  /** 1-based. */
  epoch: number;
  trainLoss: number;
  /** With the dataset's reverseComplement: the mean of both strands' losses. */
  valLoss: number;
  /** Mean validation ROC AUC over tasks with both classes (of strand-averaged probabilities with reverseComplement). */
  valAuc: number;
  /** Mean validation PR AUC (average precision). */
  valPrAuc: number;
  /** Wall-clock seconds of the whole epoch, validation included. */
  seconds: number;
  /** Training samples per second of the epoch's training phase (validation excluded). */
  samplesPerSec: number;
}

export interface EarlyStopping {
  /** Stop after this many epochs without improvement. */
  patience: number;
  /** Also the metric that picks the best epoch (whose weights are kept and exported). */
  metric: 'val_loss' | 'val_auc';
  /** An improvement must exceed this (default 0). */
  minDelta?: number;
}

export interface TrainRequest {
  variant: VariantConfig;
  /** The runner opens its splits; training itself reads only `reverseComplement`. */
  dataset: DatasetManifest;
  backend: BackendName | 'auto';
  /** Train until this epoch number (inclusive, capped at variant.epochs); ASHA promotions raise it and resume. */
  untilEpoch: number;
  earlyStopping?: EarlyStopping;
  /** This trial's checkpoint location, a directory or s3:// URL (src/artifacts); when it holds one, training resumes from it. */
  checkpointDir: string;
  /** How to reach S3 when checkpointDir is an s3:// URL (default: from the environment). */
  s3?: S3Options;
  /** For the warning when the checkpoint's disk is full: whose checkpoint it is and the setting that placed it. */
  checkpointOwner?: { owner: string; setting: string };
  /** false runs the native backends' eager step (op by op) instead of the compiled one (default true). */
  compile?: boolean;
  /** true lets XLA compile parts of the compiled step (default false). */
  xla?: boolean;
}

/** How a native training step ran: one TensorFlow function call per batch, or op by op (always on wasm and cpu). */
export type StepPath = 'compiled' | 'eager';

export interface TrainResult {
  status: 'completed' | 'early-stopped' | 'cancelled';
  /** Every epoch trained so far, resumed history included. */
  epochs: EpochMetrics[];
  /** Best epoch by the early-stopping metric (val_auc without early stopping); 0 before any epoch. */
  bestEpoch: number;
  /** Validation ROC AUC at the best epoch; NaN before any epoch. */
  bestValAuc: number;
  backend: BackendName;
  params: number;
  /**
   * The trained model's inference cost on `backend`: milliseconds of forward passes (the model call
   * and reading its outputs back) per 1,000 validation sequences, in the fastest epoch's validation
   * of this call (the steady state: each batch size's first call, which traces or warms up, is left
   * out; when that leaves nothing, as in one short epoch, one more call of a validation batch is timed);
   * when no epoch ran in this call, measured with the best epoch's weights on up to 1,000 sequences.
   * Null before any epoch or when cancelled.
   */
  inferenceMsPer1k: number | null;
  stepPath: StepPath;
  /** Milliseconds per phase of this call, summed over its epochs (sweep start --timings). */
  phaseMs: TrainingPhaseMs;
}

/** A trial's phases in its training process, in the order they happen. */
export type TrainingPhase = 'processWait' | 'backendLoad' | 'checkpointRead' | 'modelBuild' | 'firstStep' | 'batches' | 'validation' | 'checkpointWrite' | 'inferenceTiming';

/**
 * processWait: from the request to a training process taking it up (forking one, loading Node, tsx,
 * the modules and the warm-up's backend, unless a warm one was ready); backendLoad: choosing the backend and loading
 * its library (tfjs-node's on a process's first trial); modelBuild: network, optimizer and compiled
 * step objects; firstStep: the first batch's step, which traces the compiled function; batches: the
 * other batches; validation: forward passes and metrics after each epoch; inferenceTiming: the inference
 * measurement at the end, only when no validation call of this call was timed (see inferenceMsPer1k).
 */
export type TrainingPhaseMs = Record<TrainingPhase, number>;

/** What a trial's kernels ran on and how its step ran, recorded with the trial (trials.backend_version, backend_device, step_path). */
export interface BackendRuntime {
  backend: BackendName;
  /** The library whose kernels ran. */
  library: 'tensorflow' | 'tfjs-backend-wasm' | 'tfjs-backend-cpu';
  /** Its version: TensorFlow's (TF_Version, e.g. 2.21.0) for the native backends, tfjs's otherwise. */
  version: string;
  /** Where TensorFlow placed the ops: 'gpu' only for tfjs-node-gpu with a usable GPU. */
  device: 'cpu' | 'gpu';
  /** How the training step runs (set by the training process once it has chosen). */
  stepPath?: StepPath;
}
