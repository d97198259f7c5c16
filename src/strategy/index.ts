/**
 * The strategy a sweep workflow uses: one Strategy over every kind, dispatching on the spec's
 * strategy type at the start and on the state's type afterwards. A new kind (e.g. TPE) adds a
 * state type and a case here; workflows only ever see `sweepStrategy` and `StrategyState`.
 */
import { ashaStrategy, type AshaState } from './asha.js';
import { sequentialStrategy, type SequentialState } from './sequential.js';
import { tpeStrategy, type TpeState } from './tpe.js';
import { ashaTpeStrategy, type AshaTpeState } from './tpe-asha.js';
import type { Strategy } from './types.js';

export type { Decision, Strategy, StrategySetup, TrialReport } from './types.js';
export type { ParamSpace, ParamValue, Params, SearchSpace } from './space.js';
export { pickBest, topCandidates, type BestCandidate } from './best.js';
export { objectiveOf, type Constraint, type Objective, type TrialMetrics } from './objective.js';
export { rankingOf, rankTrials, type RankedTrial, type Ranking } from './pareto.js';

export type StrategyState = SequentialState | AshaState | TpeState | AshaTpeState;

export const sweepStrategy: Strategy<StrategyState> = {
  initial(setup) {
    switch (setup.strategy.type) {
      case 'grid':
      case 'random':
        return sequentialStrategy.initial(setup);
      case 'asha':
        return setup.strategy.sampler === 'tpe' ? ashaTpeStrategy.initial(setup) : ashaStrategy.initial(setup);
      case 'tpe':
        return tpeStrategy.initial(setup);
    }
  },
  next(state) {
    switch (state.type) {
      case 'sequential':
        return sequentialStrategy.next(state);
      case 'asha':
        return ashaStrategy.next(state);
      case 'tpe':
        return tpeStrategy.next(state);
      case 'asha-tpe':
        return ashaTpeStrategy.next(state);
    }
  },
  report(state, report) {
    switch (state.type) {
      case 'sequential':
        return sequentialStrategy.report(state, report);
      case 'asha':
        return ashaStrategy.report(state, report);
      case 'tpe':
        return tpeStrategy.report(state, report);
      case 'asha-tpe':
        return ashaTpeStrategy.report(state, report);
    }
  },
};
