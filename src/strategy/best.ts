/**
 * The sweep's best-model rule, shared by the workflow and the database queries: highest validation
 * ROC AUC at the trial's best epoch; ties go to fewer parameters, then to the earlier trial.
 * Trials without a finite AUC (failed, or NaN) are never best.
 */
export interface BestCandidate {
  trial: number;
  /** Validation ROC AUC at the trial's best epoch. */
  valAuc: number;
  /** The model's parameter count. */
  params: number;
}

export function pickBest<C extends BestCandidate>(candidates: readonly C[]): C | undefined {
  let best: C | undefined;
  for (const candidate of candidates) {
    if (!Number.isFinite(candidate.valAuc)) continue;
    if (best === undefined || isBetter(candidate, best)) best = candidate;
  }
  return best;
}

function isBetter(a: BestCandidate, b: BestCandidate): boolean {
  if (a.valAuc !== b.valAuc) return a.valAuc > b.valAuc;
  if (a.params !== b.params) return a.params < b.params;
  return a.trial < b.trial;
}
