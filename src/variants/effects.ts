/** Effect of a change on one task's probability: the difference and the log-odds difference. */
import { formatFloat32 } from '../predict/predict.js';

/** Probabilities are clamped to [EPS, 1 - EPS] before the logit, so a saturated output gives a large finite log-odds, not Infinity. */
const EPS = 1e-7;

export function logit(p: number): number {
  const q = Math.min(1 - EPS, Math.max(EPS, p));
  return Math.log(q / (1 - q));
}

/** alt - ref, as float32 text. */
export function formatDiff(ref: number, alt: number): string {
  return formatFloat32(Math.fround(alt - ref));
}

/** logit(alt) - logit(ref), as float32 text. */
export function formatLogOdds(ref: number, alt: number): string {
  return formatFloat32(Math.fround(logit(alt) - logit(ref)));
}
