/**
 * Grid and random search: every planned trial runs once, in plan order, for training.epochs.
 * (Grid and random differ only in how src/spec/plan.ts draws the plan.)
 */
import type { Strategy } from './types.js';

export interface SequentialState {
  type: 'sequential';
  trialCount: number;
  epochs: number;
  /** The next planned trial to start (1-based). */
  nextTrial: number;
  running: number[];
}

export const sequentialStrategy: Strategy<SequentialState> = {
  initial(spec, plan) {
    return { type: 'sequential', trialCount: plan.length, epochs: spec.training.epochs, nextTrial: 1, running: [] };
  },

  next(state) {
    if (state.nextTrial <= state.trialCount) {
      const trial = state.nextTrial;
      return {
        decision: { kind: 'start', trial, untilEpoch: state.epochs },
        state: { ...state, nextTrial: trial + 1, running: [...state.running, trial] },
      };
    }
    return { decision: { kind: state.running.length > 0 ? 'wait' : 'done' }, state };
  },

  report(state, report) {
    if (!state.running.includes(report.trial)) return state;
    return { ...state, running: state.running.filter((trial) => trial !== report.trial) };
  },
};
