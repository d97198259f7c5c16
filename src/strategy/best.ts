/**
 * The sweep's best-model rule, shared by the workflow and the database queries: highest validation
 * ROC AUC at the trial's best epoch; ties go to fewer parameters, then to the earlier trial.
 * Trials without a finite AUC (failed, or NaN) are never best.
 */
export interface BestCandidate {
  trial: number;
  /** Validation ROC AUC at the trial's best epoch; null (or NaN) when it has none. */
  valAuc: number | null;
  /** The model's parameter count. */
  paramCount: number;
}

export function pickBest<C extends BestCandidate>(candidates: readonly C[]): C | undefined {
  let best: C | undefined;
  for (const candidate of candidates) {
    if (candidate.valAuc === null || !Number.isFinite(candidate.valAuc)) continue;
    if (best === undefined || isBetter(candidate as C & { valAuc: number }, best as C & { valAuc: number })) best = candidate;
  }
  return best;
}

function isBetter(a: BestCandidate & { valAuc: number }, b: BestCandidate & { valAuc: number }): boolean {
  if (a.valAuc !== b.valAuc) return a.valAuc > b.valAuc;
  if (a.paramCount !== b.paramCount) return a.paramCount < b.paramCount;
  return a.trial < b.trial;
}

/** The best `n` candidates, best first, by the same rule as pickBest. */
export function topCandidates<C extends BestCandidate>(candidates: readonly C[], n: number): C[] {
  const ranked = candidates.filter((c): c is C & { valAuc: number } => c.valAuc !== null && Number.isFinite(c.valAuc));
  return ranked.sort((a, b) => (isBetter(a, b) ? -1 : isBetter(b, a) ? 1 : 0)).slice(0, n);
}
