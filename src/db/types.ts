/**
 * The results database behind one interface (like Optuna's storages): the orchestration talks to a
 * ResultsStore, and PostgreSQL is its implementation. Pure types: safe to import from workflows.
 */
import type { VariantConfig } from '../model/config.js';
import type { BackendName, BackendRuntime, EpochMetrics, StepPath } from '../train/types.js';

import type { SweepStatus, TerminalSweepStatus, TrialStatus, TerminalTrialStatus } from '../domain/status.js';

export type { SweepStatus, TerminalSweepStatus, TrialStatus, TerminalTrialStatus } from '../domain/status.js';

/** Only the exported best model is recorded; checkpoints are found by trial in the artifact store. */
export type ArtifactKind = 'best-model';

export interface SweepRow {
  /** e.g. `sweep-quickstart-1a2b3c`. */
  id: string;
  name: string;
  spec: unknown;
  datasetFingerprint: string;
  status: SweepStatus;
  strategy: string;
  totalTrials: number;
  bestTrialId: string | null;
  workflowId: string;
  /** Why the sweep failed (status 'failed'); null otherwise. */
  failureReason: string | null;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export interface TrialRow {
  /** `<sweep id>-trial-<n>`. */
  id: string;
  sweepId: string;
  number: number;
  params: Record<string, unknown>;
  variant: VariantConfig;
  status: TrialStatus;
  backend: BackendName | null;
  /** Version of the library whose kernels ran (TensorFlow's for tfjs-node/-gpu, e.g. 2.21.0; tfjs's for wasm/cpu). */
  backendVersion: string | null;
  /** 'gpu' only when tfjs-node-gpu had a usable GPU. */
  backendDevice: BackendRuntime['device'] | null;
  /** How the training step ran: one compiled TensorFlow function per batch, or op by op (null before the trial started). */
  stepPath: StepPath | null;
  workerIdentity: string | null;
  failureReason: string | null;
  /** Highest epoch recorded (resumed history included). */
  epochsTrained: number;
  bestEpoch: number | null;
  bestValAuc: number | null;
  bestValPrAuc: number | null;
  bestValLoss: number | null;
  paramCount: number | null;
  /** Milliseconds of forward passes per 1,000 validation sequences of the trained model, on the trial's backend (TrainResult.inferenceMsPer1k). */
  inferenceMsPer1k: number | null;
  /** Wall-clock seconds of all epochs trained (validation included). */
  trainSeconds: number | null;
  /** Highest Temporal activity attempt that started training this trial. */
  attempts: number;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
}

export interface ArtifactRow {
  sweepId: string;
  trialId: string;
  kind: ArtifactKind;
  /** A path (under SWEEP_HOME / SWEEP_ARTIFACTS) or a URI. */
  uri: string;
  epoch: number | null;
  bytes: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface NewSweep {
  id: string;
  name: string;
  spec: unknown;
  datasetFingerprint: string;
  strategy: string;
  totalTrials: number;
  workflowId: string;
}

export interface NewTrial {
  sweepId: string;
  trialId: string;
  number: number;
  params: Record<string, unknown>;
  variant: VariantConfig;
}

export interface TrialStart {
  worker: string;
  backend: BackendName;
  /** The training process's backend library version and device (trials.backend_version, backend_device). */
  runtime?: BackendRuntime;
  /** Temporal's activity attempt (1-based); the row keeps the highest, so a repeated write never double counts. */
  attempt: number;
  paramCount?: number;
  /**
   * Set when the run continues a trial (ASHA promotion): a `completed` trial goes back to
   * `running` only when untilEpoch is beyond the epochs it has trained, so a late retry of an
   * earlier run cannot reopen it.
   */
  untilEpoch?: number;
}

export interface TrialFinish {
  status: TerminalTrialStatus;
  /** Epochs trained in total, resumed ones included. */
  epochsTrained: number;
  bestEpoch: number | null;
  /** Validation ROC AUC at bestEpoch (null or NaN: none; never on the leaderboard). */
  bestValAuc: number | null;
  failureReason?: string | null;
  paramCount?: number;
  /** Forward-pass milliseconds per 1,000 validation sequences at bestEpoch (kept from the earlier finish when absent). */
  inferenceMsPer1k?: number | null;
  /** Seconds of every epoch trained, resumed ones included. */
  trainSeconds?: number;
  backend?: BackendName;
  /** Epoch history written in the same transaction: fills only epochs with no row (whose recordEpoch was lost). */
  epochs?: readonly EpochMetrics[];
  /** Worker recorded on the epoch rows this fills (existing rows keep the worker that trained them). */
  worker?: string;
}

export interface NewArtifact {
  sweepId: string;
  trialId: string;
  kind: ArtifactKind;
  uri: string;
  epoch?: number | null;
  bytes?: number | null;
}

/**
 * Every write is idempotent (a retried activity never duplicates a row) and never moves a sweep or
 * trial out of a terminal status (a late "running" cannot overwrite "completed"). Status-changing
 * writes return the stored row, which is the truth when a write was ignored.
 */
export interface ResultsStore {
  /** Inserts the sweep (status running) and, in the same transaction, its initial trials; a UserError when the id is taken. */
  createSweep(sweep: NewSweep, trials?: readonly NewTrial[]): Promise<SweepRow>;
  /** running <-> paused, or a terminal status; ignored once the sweep is terminal. */
  setSweepStatus(sweepId: string, status: SweepStatus): Promise<SweepRow>;
  /** Terminal status plus the best trial, once. */
  finishSweep(sweepId: string, outcome: { status: TerminalSweepStatus; bestTrialId: string | null; failureReason?: string | null }): Promise<SweepRow>;
  /**
   * `sweep retry`: a failed, cancelled or completed sweep goes back to running (reason and finish
   * time cleared) and the listed trials that failed or were cancelled back to pending, in one
   * transaction; false (nothing changed) when the sweep was not in one of those statuses.
   */
  reopenSweep(sweepId: string, trialIds: readonly string[]): Promise<boolean>;
  /** Inserts a pending trial; a repeat leaves the existing row untouched. */
  upsertTrial(trial: NewTrial): Promise<TrialRow>;
  /**
   * Raises the trial's attempts to Temporal's attempt number (its row created, pending, if it has
   * none), for an attempt that failed, maybe before training started; the status is untouched.
   */
  recordAttempt(trial: NewTrial, attempt: number): Promise<void>;
  /** Marks the trial running (its row created first if it has none) where the status rule allows; returns the row either way. */
  markTrialRunning(trial: NewTrial, start: TrialStart): Promise<TrialRow>;
  /** Upserts one epoch row (a repeat keeps the latest values) and raises the trial's epochsTrained. */
  recordEpoch(trialId: string, metrics: EpochMetrics, worker: string): Promise<void>;
  /**
   * Terminal status and results; bestValPrAuc/bestValLoss come from the epoch row at bestEpoch.
   * Ignored when the trial is already terminal, except that a `completed` trial accepts a finish
   * that trained further (an ASHA promotion's result).
   */
  finishTrial(trialId: string, finish: TrialFinish): Promise<TrialRow>;
  /** One artifact per (trial, kind); a repeat replaces uri/epoch/bytes. */
  recordArtifact(artifact: NewArtifact): Promise<ArtifactRow>;

  getSweep(sweepId: string): Promise<SweepRow | undefined>;
  /** Newest first. */
  listSweeps(filter?: { status?: SweepStatus; limit?: number }): Promise<SweepRow[]>;
  /** By trial number; afterNumber and limit page through a large sweep (keyset). */
  listTrials(sweepId: string, filter?: { status?: TrialStatus; afterNumber?: number; limit?: number }): Promise<TrialRow[]>;
  listArtifacts(sweepId: string): Promise<ArtifactRow[]>;
  /**
   * Trials with a finite bestValAuc (whatever their status, as pickBest in src/strategy/best.ts),
   * best first: highest bestValAuc, then fewer parameters, then the earlier trial.
   */
  leaderboard(sweepId: string, limit?: number): Promise<TrialRow[]>;
  close(): Promise<void>;
}
