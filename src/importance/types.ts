/**
 * What the importance evaluators read: the search space (the strategies' SearchSpace, one entry per
 * searched parameter) and each completed trial's params with its objective value. Pure types.
 */
import type { Params, SearchSpace } from '../strategy/space.js';

export type { ParamSpace, Params, SearchSpace } from '../strategy/space.js';

export const IMPORTANCE_METHODS = ['ped-anova', 'fanova'] as const;
export type ImportanceMethod = (typeof IMPORTANCE_METHODS)[number];

export interface ObservedTrial {
  params: Params;
  /** The objective value; trials whose value is not finite are left out, as Optuna does. */
  value: number;
}

export interface ImportanceInput {
  space: SearchSpace;
  trials: readonly ObservedTrial[];
  /** Whether higher objective values are better (val AUC) or lower (val loss). */
  direction: 'maximize' | 'minimize';
}

/** Parameter name -> importance, in descending order of importance. */
export type Importances = Record<string, number>;
