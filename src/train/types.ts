import type { DatasetManifest } from '../data/types.js';
import type { VariantConfig } from '../model/config.js';

export type BackendName = 'tfjs-node-gpu' | 'tfjs-node' | 'wasm' | 'cpu';

export interface EpochMetrics {
  /** 1-based. */
  epoch: number;
  trainLoss: number;
  valLoss: number;
  /** Mean validation ROC AUC over tasks with both classes. */
  valAuc: number;
  /** Mean validation PR AUC (average precision). */
  valPrAuc: number;
  seconds: number;
  samplesPerSec: number;
}

export interface EarlyStopping {
  patience: number;
  metric: 'val_loss' | 'val_auc';
  minDelta?: number;
}

export interface TrainRequest {
  variant: VariantConfig;
  dataset: DatasetManifest;
  backend: BackendName | 'auto';
  /** Train until this epoch number (inclusive); ASHA promotions raise it and resume. */
  untilEpoch: number;
  earlyStopping?: EarlyStopping;
  /** Directory for this trial's checkpoint; when it holds one, training resumes from it. */
  checkpointDir: string;
}

export interface TrainResult {
  status: 'completed' | 'early-stopped' | 'cancelled';
  /** Every epoch trained so far, resumed history included. */
  epochs: EpochMetrics[];
  bestEpoch: number;
  bestValAuc: number;
  backend: BackendName;
  params: number;
}
