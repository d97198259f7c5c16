/**
 * What crosses the boundary between the CLI/client, the sweep and trial workflows and the activities.
 * Pure types and Temporal message definitions: safe for workflow code. Everything here is plain
 * JSON computed outside the workflow (src/sweep-spec/plan.ts), so a change to the spec schema, the model
 * presets or the planner never changes what a running workflow replays.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { DatasetSpec } from '../src/data/dataset-spec.js';
import { permanentErrorTypes } from '../src/domain/permanent-errors.js';
import type { SweepStatus, TerminalSweepStatus, TerminalTrialStatus } from '../src/domain/status.js';
import type { PresetName, VariantConfig } from '../src/model/config.js';
import type { SweepSpec } from '../src/sweep-spec/types.js';
import type { Params, StrategySetup, StrategyState, TrialMetrics } from '../src/strategy/index.js';
import type { BackendName, EarlyStopping, EpochMetrics, TrainingPhaseMs } from '../src/train/types.js';

export type { SweepStatus } from '../src/domain/status.js';

/** Where a worker finds the sweep's data and how it proves it has the same bytes. */
export interface DatasetRef {
  spec: DatasetSpec;
  /** Folder that relative dataset paths resolve against (the spec file's folder). */
  baseDir: string;
  seqLen: number;
  fingerprint: string;
}

/**
 * What every trial's variant starts from: the preset name, the spec's fixed `model` fields and
 * training's epochs/batchSize/seed. Plain JSON; a trial's variant is `variantOf(base, params)`.
 */
export interface BaseModel {
  preset?: PresetName;
  fields: Partial<VariantConfig>;
}

/** How every trial of the sweep trains, apart from its params. */
export interface TrialTraining {
  /** Every trial's variant is `variantOf(model, params)` (src/sweep-spec/plan.ts), resolved by the training activity. */
  model: BaseModel;
  dataset: DatasetRef;
  earlyStopping?: EarlyStopping;
  /** The spec's training.backend; 'auto' defers to the worker's --backend. */
  backend: BackendName | 'auto';
  /** The spec's training.compile, present only when false (the compiled native step is the default). */
  compile?: false;
  /** The spec's training.xla, present only when true. */
  xla?: true;
  objective: SweepSpec['objective'];
  /** Task queue of the training workers. */
  trainQueue: string;
}

export interface SweepInput {
  sweepId: string;
  name: string;
  /** What the strategy starts from (plain JSON, see src/strategy/types.ts). */
  setup: StrategySetup;
  /** Trials the sweep plans to run (for progress; the strategy decides when it is done). */
  totalTrials: number;
  maxConcurrentTrials: number;
  training: TrialTraining;
  /** State carried across continue-as-new; absent on the first run. */
  carried?: SweepCarry;
  /** Continue-as-new after this many trial runs (default: when Temporal suggests it). */
  trialRunsPerHistory?: number;
  /**
   * A retry run (`sweep retry`, its own workflow id): exactly these trials run, in order, instead of
   * the strategy's decisions; `carried` holds what the sweep's finished trials already gave.
   */
  retry?: RetriedTrial[];
}

/** A trial of a failed or cancelled sweep that `sweep retry` runs again, from its checkpoint when it has one. */
export interface RetriedTrial {
  trial: number;
  params: Params;
  untilEpoch: number;
  /** Attempts its row already counts, so the new run's attempts add to them. */
  attemptsBefore: number;
}

export interface BestSoFar {
  trial: number;
  trialId: string;
  valAuc: number;
  bestEpoch: number;
  paramCount: number;
  params: Params;
}

/** A finished trial as the leaderboard in the workflow's current details shows it. */
export type LeaderboardEntry = BestSoFar;

/** A finished trial with its measurements, for sweeps ranked by several objectives or constraints. */
export interface MeasuredEntry extends BestSoFar {
  metrics: TrialMetrics;
}

export interface SweepCarry {
  strategy: StrategyState;
  paused: boolean;
  counts: Record<TerminalTrialStatus, number>;
  trialRuns: number;
  best?: BestSoFar;
  /** Top trials by the best-model rule, best first (at most LEADERBOARD_SIZE). */
  leaderboard?: LeaderboardEntry[];
  /** Sweeps with several objectives or constraints: every measured trial, to rank them all again as results come in. */
  measured?: MeasuredEntry[];
}

export interface TrialInput {
  sweepId: string;
  trialId: string;
  trial: number;
  params: Params;
  /** Train until this epoch (inclusive); more than the checkpoint's epoch = an ASHA promotion. */
  untilEpoch: number;
  /** A promotion: the trial trained before and resumes from its checkpoint. */
  resumes: boolean;
  training: TrialTraining;
  /** Attempts of earlier runs of this trial (a retried sweep), added to Temporal's attempt number on the trial's row. */
  attemptsBefore?: number;
}

export interface TrialResult {
  sweepId: string;
  trial: number;
  trialId: string;
  status: TerminalTrialStatus;
  epochsTrained: number;
  bestEpoch: number;
  /** Validation ROC AUC at the best epoch; null when the trial has none (Temporal's JSON carries NaN as null). */
  bestValAuc: number | null;
  /** The model's parameter count (0 when unknown). */
  paramCount: number;
  /** Validation PR AUC and loss at the best epoch (absent from failed trials and results recorded before they were reported). */
  bestValPrAuc?: number | null;
  bestValLoss?: number | null;
  /** Forward-pass milliseconds per 1,000 validation sequences of the trained model, on the trial's backend. */
  inferenceMsPer1k?: number | null;
  /** Seconds of every epoch trained, resumed ones included. */
  trainSeconds?: number;
  params: Params;
  objectiveByEpoch: (number | null)[];
  backend?: BackendName;
  failureReason?: string;
  /** Epoch history (resumed epochs included), so the final DB write can fill any lost epoch row. */
  epochs?: EpochMetrics[];
  /** Worker that trained it. */
  worker?: string;
  /** Where the training activity's time went (trials that trained to a result). */
  timings?: TrialTimings;
}

/** Milliseconds of one training activity, measured by the activity and its training process (sweep start --timings reads them from the history). */
export interface TrialTimings {
  /** The whole activity, from its start to its result. */
  activity: number;
  /** Opening the dataset's cache and checking it against the sweep's fingerprint. */
  dataset: number;
  /** From the training request to its result: the process's phases, plus IPC and the trial-start and epoch rows written meanwhile. */
  training: number;
  /** Inside the training process. */
  phases: TrainingPhaseMs;
}

export interface SweepProgress {
  sweepId: string;
  status: SweepStatus;
  totalTrials: number;
  running: number[];
  counts: Record<TerminalTrialStatus, number>;
  best?: BestSoFar;
}

/**
 * The sweep workflow's result. status 'failed' with `failureReason` when no trial produced a
 * result; a workflow that fails on an error records the same on the sweep row and fails with an
 * ApplicationFailure of type 'SweepFailed'.
 */
export interface SweepResult {
  sweepId: string;
  status: TerminalSweepStatus;
  counts: Record<TerminalTrialStatus, number>;
  best?: BestSoFar & { modelPath: string };
  failureReason?: string;
}

/** Sent by CLIs that predate the pause and resume updates; still handled for them and for sweeps started before. */
export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
/** Pause or resume; a validator refuses what would change nothing (with the reason), the update returns the sweep's new status. */
export const pauseUpdate = defineUpdate<SweepStatus>('pause');
export const resumeUpdate = defineUpdate<SweepStatus>('resume');
export const cancelSignal = defineSignal('cancel');
export const progressQuery = defineQuery<SweepProgress>('progress');

/** Activity failure types that retrying cannot fix: the permanent errors' types, for the activities' retry policies. */
export const nonRetryableErrors = [...permanentErrorTypes];
