/**
 * Asynchronous successive halving (ASHA; Li et al. 2018, "A System for Massively Parallel
 * Hyperparameter Tuning", Algorithm 2).
 *
 * Rungs sit at minEpochs * eta^k epochs, capped at maxEpochs (the last rung). Whenever a slot is
 * free: for the highest rung below the top first, a trial is promoted when it is among the top
 * floor(n_k / eta) of the n_k trials that finished rung k and has not been promoted yet; promotion
 * resumes it from its checkpoint up to the next rung. Otherwise a new trial starts at
 * rung 0, with params drawn from the carried generator state. A trial finishes rung k when it completes the rung's epochs; failed, cancelled and
 * early-stopped trials never finish a rung, so they are neither counted nor promoted.
 *
 * A trial's score at rung k is its best objective over epochs 1..rung k (the same best-epoch view
 * the sweep uses to pick its best model). Ties go to the earlier trial. A non-finite score ranks last.
 */
import { Rng } from '../rng.js';
import { bestFiniteObjective } from './objective.js';
import { samplePoint, type Params, type SearchSpace } from './space.js';
import type { Decision, Strategy } from './types.js';

export interface RungEntry {
  trial: number;
  /** Kept so a promotion can resume the trial with the same params. */
  params: Params;
  /** null = not a finite number (NaN or infinite loss); ranks last. */
  score: number | null;
  promoted: boolean;
}

export interface AshaState {
  type: 'asha';
  trialCount: number;
  mode: 'max' | 'min';
  eta: number;
  rungEpochs: number[];
  space: SearchSpace;
  /** The next trial to start at rung 0 (1-based). */
  nextTrial: number;
  /** Generator state before drawing `nextTrial`'s params. */
  rngState: number;
  /** Per rung, the trials that finished it, best first. */
  rungs: RungEntry[][];
  /** Trials running now and the rung each is training towards. */
  running: { trial: number; rung: number; params: Params }[];
}

/** minEpochs, minEpochs * eta, minEpochs * eta^2, ... while below maxEpochs, then maxEpochs. */
export function ashaRungEpochs(minEpochs: number, maxEpochs: number, eta: number): number[] {
  const rungs: number[] = [];
  for (let epochs = minEpochs; epochs < maxEpochs; epochs *= eta) rungs.push(epochs);
  rungs.push(maxEpochs);
  return rungs;
}

export const ashaStrategy: Strategy<AshaState> = {
  initial(setup) {
    if (setup.strategy.type !== 'asha') throw new Error(`ashaStrategy needs an asha strategy spec, got ${setup.strategy.type}`);
    const { minEpochs, maxEpochs, reductionFactor, trials } = setup.strategy;
    const rungEpochs = ashaRungEpochs(minEpochs, maxEpochs, reductionFactor);
    return {
      type: 'asha',
      trialCount: trials,
      mode: setup.objective.mode,
      eta: reductionFactor,
      rungEpochs,
      space: setup.space,
      nextTrial: 1,
      rngState: new Rng(setup.seed).state,
      rungs: rungEpochs.map(() => []),
      running: [],
    };
  },

  next(state) {
    for (let rung = state.rungEpochs.length - 2; rung >= 0; rung--) {
      const entries = state.rungs[rung]!;
      const topCount = Math.floor(entries.length / state.eta);
      const index = entries.slice(0, topCount).findIndex((entry) => !entry.promoted);
      if (index < 0) continue;
      const { trial, params } = entries[index]!;
      const rungs = state.rungs.slice();
      rungs[rung] = entries.map((entry, i) => (i === index ? { ...entry, promoted: true } : entry));
      return start({ kind: 'continue', trial, params, untilEpoch: state.rungEpochs[rung + 1]! }, rung + 1, { ...state, rungs });
    }
    if (state.nextTrial <= state.trialCount) {
      const trial = state.nextTrial;
      const rng = new Rng(0, state.rngState);
      const params = samplePoint(state.space, rng);
      return start({ kind: 'start', trial, params, untilEpoch: state.rungEpochs[0]! }, 0, { ...state, nextTrial: trial + 1, rngState: rng.state });
    }
    return { decision: { kind: state.running.length > 0 ? 'wait' : 'done' }, state };
  },

  report(state, report) {
    const run = state.running.find((r) => r.trial === report.trial);
    if (run === undefined) return state;
    const running = state.running.filter((r) => r !== run);
    const rungEpochs = state.rungEpochs[run.rung]!;
    if (report.status !== 'completed' || report.epochsTrained < rungEpochs) return { ...state, running };

    const entry: RungEntry = { trial: report.trial, params: run.params, score: bestFiniteObjective(report.objectiveByEpoch.slice(0, rungEpochs), state.mode), promoted: false };
    const entries = state.rungs[run.rung]!;
    const at = entries.findIndex((other) => ranksBefore(entry, other, state.mode));
    const rungs = state.rungs.slice();
    rungs[run.rung] = at < 0 ? [...entries, entry] : [...entries.slice(0, at), entry, ...entries.slice(at)];
    return { ...state, running, rungs };
  },
};

function start(decision: Extract<Decision, { kind: 'start' | 'continue' }>, rung: number, state: AshaState) {
  return { decision, state: { ...state, running: [...state.running, { trial: decision.trial, rung, params: decision.params }] } };
}

function ranksBefore(a: RungEntry, b: RungEntry, mode: 'max' | 'min'): boolean {
  if (a.score === null || b.score === null) {
    return a.score !== null || (b.score === null && a.trial < b.trial);
  }
  if (a.score !== b.score) return mode === 'max' ? a.score > b.score : a.score < b.score;
  return a.trial < b.trial;
}
