/**
 * What crosses the boundary between the CLI/client, the sweep and trial workflows and the activities.
 * Pure types and Temporal message definitions: safe for workflow code.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { DatasetSpec } from '../src/data/spec.js';
import type { SweepSpec } from '../src/spec/types.js';
import type { StrategyState, TrialOutcome } from '../src/strategy/index.js';
import type { BackendName, EarlyStopping, EpochMetrics } from '../src/train/types.js';
import type { VariantConfig } from '../src/model/config.js';
import type { SweepStatus } from '../src/db/types.js';

export type { SweepStatus } from '../src/db/types.js';

/** Where a worker finds the sweep's data and how it proves it has the same bytes. */
export interface DatasetRef {
  spec: DatasetSpec;
  /** Folder that relative dataset paths resolve against (the spec file's folder). */
  baseDir: string;
  seqLen: number;
  fingerprint: string;
}

export interface SweepInput {
  sweepId: string;
  spec: SweepSpec;
  dataset: DatasetRef;
  /** State carried across continue-as-new; absent on the first run. */
  carried?: SweepCarry;
  /** Task queue of the training workers. */
  trainQueue: string;
  /** Continue-as-new after this many trial runs (default: when Temporal suggests it). */
  trialRunsPerHistory?: number;
}

export interface BestSoFar {
  trial: number;
  trialId: string;
  valAuc: number;
  bestEpoch: number;
  params: number;
}

export interface SweepCarry {
  strategy: StrategyState;
  paused: boolean;
  counts: Record<TrialOutcome, number>;
  trialRuns: number;
  best?: BestSoFar;
}

export interface TrialInput {
  sweepId: string;
  trialId: string;
  trial: number;
  params: Record<string, unknown>;
  variant: VariantConfig;
  dataset: DatasetRef;
  /** Train until this epoch (inclusive); more than the checkpoint's epoch = an ASHA promotion. */
  untilEpoch: number;
  earlyStopping?: EarlyStopping;
  /** The spec's training.backend; 'auto' defers to the worker's --backend. */
  backend: BackendName | 'auto';
  objective: SweepSpec['objective'];
  /** Task queue of the training workers. */
  trainQueue: string;
}

export interface TrialResult {
  sweepId: string;
  trial: number;
  trialId: string;
  status: TrialOutcome;
  epochsTrained: number;
  bestEpoch: number;
  /** Validation ROC AUC at the best epoch; NaN when the trial has none. */
  bestValAuc: number;
  params: number;
  objectiveByEpoch: number[];
  backend?: BackendName;
  failureReason?: string;
  /** Epoch history (resumed epochs included), so the final DB write can fill any lost epoch row. */
  epochs?: EpochMetrics[];
  /** Worker that trained it. */
  worker?: string;
}

export interface SweepProgress {
  sweepId: string;
  status: SweepStatus;
  totalTrials: number;
  running: number[];
  counts: Record<TrialOutcome, number>;
  best?: BestSoFar;
}

export interface SweepResult {
  sweepId: string;
  status: SweepStatus;
  counts: Record<TrialOutcome, number>;
  best?: BestSoFar & { modelPath: string };
}

export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const cancelSignal = defineSignal('cancel');
export const progressQuery = defineQuery<SweepProgress>('progress');

/** Activity failure types that retrying cannot fix. */
export const nonRetryableErrors = ['NonFiniteLoss', 'InvalidVariant', 'DatasetMismatch', 'UserError'];
