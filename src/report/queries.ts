/**
 * What the report reads from the results database: the read model's views (src/db/read-model.ts),
 * the same rows and ranking the HTTP API and Grafana show.
 */
import {
  learningCurves,
  leaderboard,
  parallelCoordinates,
  paretoScatter,
  sweepImportance,
  sweepTrials,
  TooFewTrials,
  type CurvePoint,
  type ParallelCoordinates,
  type ParetoScatter,
  type ReadSource,
  type SearchedParameter,
  type SweepImportance,
  type TrialView,
} from '../db/read-model.js';
import type { SweepRow } from '../db/types.js';
import { UserError } from '../errors.js';

export type ReportTrial = TrialView & { rank: number | null };

export interface ReportData {
  sweep: SweepRow;
  parameters: SearchedParameter[];
  /** Ranked by the leaderboard rule, then the trials without a validation AUC by number (rank null). */
  trials: ReportTrial[];
  /** Learning curves of the top trials, long form. */
  curves: CurvePoint[];
  bestModelDir: string | null;
  /** Which parameters mattered, by both methods, and the pictures of it; null with too few completed trials (`importanceNote` says why). */
  importance: { pedAnova: SweepImportance; fanova: SweepImportance; pictures: ParallelCoordinates } | null;
  importanceNote: string;
  /** The two main objectives of every measured trial and the front; null for a single objective without constraints. */
  pareto: ParetoScatter | null;
}

export const REPORT_CURVE_METRICS = ['val_auc', 'val_loss', 'train_loss'] as const;

export async function loadReportData(src: ReadSource, sweepId: string, curves: number): Promise<ReportData> {
  const sweep = await src.store.getSweep(sweepId);
  if (!sweep) throw new UserError(`SWEEP_ID: no sweep '${sweepId}' in the database (sweep list shows the sweeps)`);
  const [ranked, all, points, artifacts, pareto] = await Promise.all([
    leaderboard(src, sweepId),
    sweepTrials(src, sweepId),
    learningCurves(src, { sweepId, top: curves, metrics: REPORT_CURVE_METRICS }),
    src.store.listArtifacts(sweepId),
    paretoScatter(src, sweepId),
  ]);
  if (!ranked || !all || !pareto) throw new UserError(`SWEEP_ID: sweep '${sweepId}' was deleted while the report read it`);
  const rankedIds = new Set(ranked.trials.map((t) => t.trialId));
  const unranked = all.trials.filter((t) => !rankedIds.has(t.trialId)).map((t) => ({ ...t, rank: null }));
  const model = artifacts.find((a) => a.trialId === sweep.bestTrialId);
  return {
    sweep,
    parameters: ranked.parameters,
    trials: [...ranked.trials, ...unranked],
    curves: points,
    bestModelDir: model?.uri ?? null,
    pareto: pareto.axes ? pareto : null,
    ...(await importanceOf(src, sweepId)),
  };
}

async function importanceOf(src: ReadSource, sweepId: string): Promise<Pick<ReportData, 'importance' | 'importanceNote'>> {
  try {
    const [pedAnova, fanova, pictures] = await Promise.all([sweepImportance(src, sweepId, 'ped-anova'), sweepImportance(src, sweepId, 'fanova'), parallelCoordinates(src, sweepId, 'ped-anova')]);
    if (!pedAnova || !fanova || !pictures) throw new UserError(`SWEEP_ID: sweep '${sweepId}' was deleted while the report read it`);
    return {
      importance: { pedAnova, fanova, pictures },
      importanceNote: `From the ${pedAnova.trials} completed trials' ${pedAnova.metric}, as Optuna 5 computes it (sweep importance SWEEP_ID gives the same numbers): PED-ANOVA compares each parameter's values among the best 10% of trials with all trials; fANOVA is the share of a seeded random forest's variance the parameter explains. Each column sums to 1.`,
    };
  } catch (err) {
    if (err instanceof TooFewTrials) return { importance: null, importanceNote: `No parameter importance: ${err.message}.` };
    throw err;
  }
}
