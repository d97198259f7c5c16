import { paretoRows } from '../db/read-model.js';
import type { ResultsStore, SweepRow, TrialRow } from '../db/types.js';
import { formatParamValue } from '../domain/params.js';
import { UserError } from '../errors.js';

/**
 * The `sweep start --json` / `sweep status --json` result, read from PostgreSQL (the record of truth).
 * `trials` are in leaderboard order: ranked trials first, by the best-model rule, then the rest by number.
 */
export interface SweepReport {
  sweepId: string;
  status: SweepRow['status'];
  /** Why the sweep failed, as its workflow recorded it; null otherwise. */
  failureReason: string | null;
  best: { trialId: string; params: Record<string, unknown>; valAuc: number; epoch: number; modelPath: string | null } | null;
  /** Sweeps with several objectives or constraints: trials ranked by Pareto rank (1 = the front), then the first objective. */
  ranked: boolean;
  trials: {
    trialId: string;
    params: Record<string, unknown>;
    status: TrialRow['status'];
    valAuc: number | null;
    paramCount: number | null;
    inferenceMsPer1k: number | null;
    trainSeconds: number | null;
    /** Ranked sweeps only: null for trials not ranked (unfinished or unmeasured). */
    paretoRank: number | null;
    feasible: boolean | null;
    epochs: number;
    backend: TrialRow['backend'];
    failureReason: string | null;
  }[];
}

export async function sweepReport(db: ResultsStore, sweepId: string): Promise<SweepReport> {
  const sweep = await db.getSweep(sweepId);
  if (!sweep) throw new UserError(`SWEEP_ID: no sweep '${sweepId}' in the database (sweep list shows the sweeps)`);
  // Ranked trials first, in the store's order (the best-model rule with its tie-breaks), then the rest by number.
  const [all, artifacts] = await Promise.all([db.listTrials(sweepId), db.listArtifacts(sweepId)]);
  const pareto = paretoRows(sweep, all);
  const places = new Map(pareto?.map(({ row, place }) => [row.id, place]));
  const ranked = pareto ? pareto.map(({ row }) => row) : await db.leaderboard(sweepId);
  const rankedIds = new Set(ranked.map((t) => t.id));
  const trials = [...ranked, ...all.filter((t) => !rankedIds.has(t.id))];
  const bestTrial = trials.find((t) => t.id === sweep.bestTrialId);
  const model = artifacts.find((a) => a.trialId === sweep.bestTrialId);
  return {
    sweepId,
    status: sweep.status,
    failureReason: sweep.failureReason,
    best: bestTrial ? { trialId: bestTrial.id, params: bestTrial.params, valAuc: bestTrial.bestValAuc!, epoch: bestTrial.bestEpoch!, modelPath: model?.uri ?? null } : null,
    ranked: pareto !== undefined,
    trials: trials.map((t) => ({
      trialId: t.id,
      params: t.params,
      status: t.status,
      valAuc: t.bestValAuc,
      paramCount: t.paramCount,
      inferenceMsPer1k: t.inferenceMsPer1k,
      trainSeconds: t.trainSeconds,
      paretoRank: places.get(t.id)?.paretoRank ?? null,
      feasible: places.get(t.id)?.feasible ?? null,
      epochs: t.epochsTrained,
      backend: t.backend,
      failureReason: t.failureReason,
    })),
  };
}

function columnWidths(rows: string[][]): number[] {
  return rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
}

/**
 * Rows of cells as lines, each column padded to its widest cell (left-aligned, or right-aligned
 * for the columns in `right`), columns separated by `gap`, trailing spaces trimmed.
 */
export function alignColumns(rows: string[][], { gap = '  ', right = [] }: { gap?: string; right?: number[] } = {}): string[] {
  const widths = columnWidths(rows);
  return rows.map((cells) =>
    cells
      .map((c, i) => (right.includes(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join(gap)
      .trimEnd(),
  );
}

/** A plain-text table: the header, a rule of dashes under each column, then the rows. */
export function table(header: string[], rows: string[][]): string {
  const rule = columnWidths([header, ...rows]).map((w) => '-'.repeat(w));
  return alignColumns([header, rule, ...rows]).join('\n');
}

export function printLeaderboard(report: SweepReport): void {
  const paramNames = [...new Set(report.trials.flatMap((t) => Object.keys(t.params)))];
  const isRanked = (t: SweepReport['trials'][number]) => (report.ranked ? t.paretoRank !== null : t.valAuc !== null);
  const costs = (t: SweepReport['trials'][number]) =>
    report.ranked
      ? [
          t.paretoRank === null ? '-' : String(t.paretoRank),
          t.feasible === null ? '-' : t.feasible ? 'yes' : 'no',
          t.paramCount === null ? '-' : t.paramCount.toLocaleString('en-US'),
          t.inferenceMsPer1k === null ? '-' : t.inferenceMsPer1k.toFixed(1),
          t.trainSeconds === null ? '-' : t.trainSeconds.toFixed(1),
        ]
      : [];
  const rows = report.trials.map((t, i) => [
    isRanked(t) ? String(i + 1) : '-',
    t.trialId.slice(t.trialId.lastIndexOf('-trial-') + 1),
    t.status,
    t.valAuc === null ? '-' : t.valAuc.toFixed(4),
    ...costs(t),
    String(t.epochs),
    t.backend ?? '-',
    ...paramNames.map((p) => (p in t.params ? formatParamValue(t.params[p]) : '')),
  ]);
  const costHeader = report.ranked ? ['pareto', 'feasible', 'params', 'ms/1k seqs', 'train s'] : [];
  console.log(`\n${report.sweepId}: ${report.status}${report.failureReason ? ` (${report.failureReason})` : ''}\n`);
  console.log(table(['rank', 'trial', 'status', 'val AUC', ...costHeader, 'epochs', 'backend', ...paramNames], rows));
  for (const t of report.trials) if (t.failureReason) console.log(`${t.trialId} ${t.status}: ${t.failureReason}`);
  if (report.ranked) {
    const front = report.trials.filter((t) => t.paretoRank === 1).map((t) => t.trialId.slice(t.trialId.lastIndexOf('-trial-') + 1));
    console.log(`\nPareto front (pareto 1): ${front.length > 0 ? front.join(', ') : 'none yet'}; export any of them with sweep export ${report.sweepId} --trial N`);
  }
  if (report.best) {
    console.log(`\nBest: ${report.best.trialId}, val ROC AUC ${report.best.valAuc.toFixed(4)} at epoch ${report.best.epoch}`);
    if (report.best.modelPath) console.log(`Model (TensorFlow.js layers format): ${report.best.modelPath}`);
  } else if (report.trials.every((t) => t.valAuc === null)) console.log('\nNo trial produced a validation AUC.');
}
