/**
 * Grid and random search: `trialCount` trials, each run once, in order, for training.epochs.
 * Grid visits the points of the cartesian product in order; random draws each trial's params
 * from the carried generator state, so trial k's params do not depend on how many are drawn.
 */
import { Rng } from '../rng.js';
import { gridPoint, gridSize, samplePoint, type Params, type SearchSpace } from './space.js';
import type { Strategy, StrategySetup } from './types.js';

export interface SequentialState {
  type: 'sequential';
  sampler: 'grid' | 'random';
  space: SearchSpace;
  trialCount: number;
  epochs: number;
  /** The next trial to start (1-based). */
  nextTrial: number;
  /** Random search's generator state before drawing `nextTrial`'s params. */
  rngState: number;
  running: number[];
  /** Configurations still to run before any drawn one (spec.enqueue); they count towards trialCount and draw nothing. */
  enqueued?: Params[];
}

/** How many trials a grid or random sweep runs. */
export function sequentialTrialCount(setup: StrategySetup): number {
  return setup.strategy.type === 'grid' ? gridSize(setup.space) : 'trials' in setup.strategy ? setup.strategy.trials : 0;
}

/** Params of the next trial and the generator state after drawing them. */
export function nextParams(state: Pick<SequentialState, 'sampler' | 'space' | 'nextTrial' | 'rngState'>): { params: Params; rngState: number } {
  if (state.sampler === 'grid') return { params: gridPoint(state.space, state.nextTrial - 1), rngState: state.rngState };
  const rng = new Rng(0, state.rngState);
  const params = samplePoint(state.space, rng);
  return { params, rngState: rng.state };
}

export const sequentialStrategy: Strategy<SequentialState> = {
  initial(setup) {
    return {
      type: 'sequential',
      sampler: setup.strategy.type === 'grid' ? 'grid' : 'random',
      space: setup.space,
      trialCount: sequentialTrialCount(setup),
      epochs: setup.epochs,
      nextTrial: 1,
      rngState: new Rng(setup.seed).state,
      running: [],
      ...(setup.enqueue && { enqueued: setup.enqueue }),
    };
  },

  next(state) {
    if (state.nextTrial <= state.trialCount) {
      const trial = state.nextTrial;
      const [enqueued, ...rest] = state.enqueued ?? [];
      const { params, rngState } = enqueued ? { params: enqueued, rngState: state.rngState } : nextParams(state);
      return {
        decision: { kind: 'start', trial, params, untilEpoch: state.epochs },
        state: { ...state, nextTrial: trial + 1, rngState, running: [...state.running, trial], ...(state.enqueued && { enqueued: rest }) },
      };
    }
    return { decision: { kind: state.running.length > 0 ? 'wait' : 'done' }, state };
  },

  report(state, report) {
    if (!state.running.includes(report.trial)) return state;
    return { ...state, running: state.running.filter((trial) => trial !== report.trial) };
  },
};
