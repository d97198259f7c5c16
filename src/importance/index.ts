/**
 * Which searched parameters mattered: PED-ANOVA (Optuna 5's default) and fANOVA over a sweep's
 * completed trials, normalised as optuna/importance/__init__.py get_param_importances does (sum 1;
 * all equal when every importance is 0) and sorted by importance, largest first. Pure: no I/O.
 */
import { fanova } from './fanova.js';
import { pedAnova } from './ped-anova.js';
import type { ImportanceInput, ImportanceMethod, Importances } from './types.js';

export { IMPORTANCE_METHODS } from './types.js';
export type { ImportanceInput, ImportanceMethod, Importances, ObservedTrial } from './types.js';

/** Optuna's FanovaImportanceEvaluator seed is None by default; ours is fixed so the numbers repeat. */
export const FANOVA_SEED = 0;

export function paramImportances(input: ImportanceInput, method: ImportanceMethod, options: { seed?: number } = {}): Importances {
  const raw = method === 'fanova' ? fanova(input, options.seed ?? FANOVA_SEED) : pedAnova(input);
  const entries = Object.entries(raw);
  const sum = entries.reduce((s, [, v]) => s + v, 0);
  const normalised = entries.map(([name, v]): [string, number] => [name, sum === 0 ? 1 / entries.length : v / sum]);
  // _sort_dict_by_importance: reversed(sorted(...)), so among equal values the later param comes first.
  const ascending = normalised.map((e, i) => ({ e, i })).sort((a, b) => a.e[1] - b.e[1] || a.i - b.i);
  return Object.fromEntries(ascending.reverse().map(({ e }) => e));
}
