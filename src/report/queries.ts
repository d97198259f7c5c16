/**
 * What the report reads from the results database, in one place: the ResultsStore's own methods
 * today; the typed read queries of src/db/read-model.ts (in progress on another branch) can take
 * their place here without touching the page.
 */
import type { ResultsStore, SweepRow, TrialRow } from '../db/types.js';
import { UserError } from '../errors.js';

export interface ReportEpoch {
  trialId: string;
  epoch: number;
  trainLoss: number;
  valLoss: number;
  valAuc: number;
}

export interface ReportData {
  sweep: SweepRow;
  /** Best first (the store's ranking), then the trials without a validation AUC by number. */
  trials: TrialRow[];
  /** Epochs of the top trials (the learning curves). */
  epochs: ReportEpoch[];
  bestModelDir: string | null;
}

export async function loadReportData(db: ResultsStore, sweepId: string, curves: number): Promise<ReportData> {
  const sweep = await db.getSweep(sweepId);
  if (!sweep) throw new UserError(`SWEEP_ID: no sweep '${sweepId}' in the database (sweep list shows the sweeps)`);
  const [ranked, all, artifacts] = await Promise.all([db.leaderboard(sweepId), db.listTrials(sweepId), db.listArtifacts(sweepId)]);
  const rankedIds = new Set(ranked.map((t) => t.id));
  const trials = [...ranked, ...all.filter((t) => !rankedIds.has(t.id))];
  const epochs = (await Promise.all(ranked.slice(0, curves).map((t) => db.trialEpochs(t.id)))).flat();
  const model = artifacts.find((a) => a.kind === 'best-model' && a.trialId === sweep.bestTrialId);
  return {
    sweep,
    trials,
    epochs: epochs.map((e) => ({ trialId: e.trialId, epoch: e.epoch, trainLoss: e.trainLoss, valLoss: e.valLoss, valAuc: e.valAuc })),
    bestModelDir: model?.uri ?? null,
  };
}
