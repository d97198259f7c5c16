/**
 * `"strategy": {"type": "asha", "sampler": "tpe", ...}`: ASHA (asha.ts, unchanged) decides what runs
 * and for how long; each new rung-0 trial's params come from TPE fitted to the results so far, in
 * the spirit of BOHB (Falkner et al. 2018). Promotions resume the same trial (same params) from its
 * checkpoint, as in plain ASHA.
 *
 * A trial's observation is the highest rung it finished and its score there (ASHA's best-epoch score):
 * trials that got further rank first, then by score, as Optuna ranks pruned trials by the step they
 * reached. A trial that stopped early before rung 0 ranks below every rung-0 result; failed trials
 * and non-finite scores are observations of failure; trials training towards rung 0 are in flight
 * (constant liar).
 */
import { ashaStrategy, type AshaState } from './asha.js';
import { bestFiniteObjective } from './objective.js';
import { DEFAULT_STARTUP_TRIALS } from './tpe.js';
import { tpeSpaceOf } from './tpe-space.js';
import { initialSampler, observeTrial, proposeTrial, type TpeSamplerState, type TpeTrial } from './tpe-sampler.js';
import type { Strategy, TrialReport } from './types.js';

export interface AshaTpeState {
  type: 'asha-tpe';
  asha: AshaState;
  sampler: TpeSamplerState;
}

export const ashaTpeStrategy: Strategy<AshaTpeState> = {
  initial(setup) {
    if (setup.strategy.type !== 'asha' || setup.strategy.sampler !== 'tpe') throw new Error('ashaTpeStrategy needs an asha strategy spec with sampler "tpe"');
    const options = { startupTrials: setup.strategy.startupTrials ?? DEFAULT_STARTUP_TRIALS, multivariate: setup.strategy.multivariate ?? true };
    return { type: 'asha-tpe', asha: ashaStrategy.initial(setup), sampler: initialSampler(tpeSpaceOf(setup.space), options, setup.seed) };
  },

  next(state) {
    const step = ashaStrategy.next(state.asha);
    if (step.decision.kind !== 'start') return { decision: step.decision, state: { ...state, asha: step.state } };
    const proposal = proposeTrial(state.sampler, step.decision.trial);
    if (proposal === undefined) {
      // A finite space with every configuration tried: no new rung-0 trials, promotions go on.
      return ashaTpeStrategy.next({ ...state, asha: { ...state.asha, trialCount: step.decision.trial - 1 } });
    }
    // ASHA drew random params for the trial; TPE's replace them, in the decision and in ASHA's record
    // of the running trial (which its rung entries, and so its promotions, take the params from).
    const { trial } = step.decision;
    const asha = { ...step.state, running: step.state.running.map((r) => (r.trial === trial ? { ...r, params: proposal.params } : r)) };
    return { decision: { ...step.decision, params: proposal.params }, state: { ...state, asha, sampler: proposal.sampler } };
  },

  report(state, report) {
    const asha = ashaStrategy.report(state.asha, report);
    if (asha === state.asha) return state;
    return { asha, sampler: observeTrial(state.sampler, report.trial, outcomeOf(asha, report)), type: 'asha-tpe' };
  },
};

function outcomeOf(asha: AshaState, report: TrialReport): Pick<TpeTrial, 'state' | 'level' | 'score'> {
  const sign = asha.mode === 'max' ? 1 : -1;
  for (let rung = asha.rungs.length - 1; rung >= 0; rung--) {
    const entry = asha.rungs[rung]!.find((e) => e.trial === report.trial);
    if (entry === undefined) continue;
    return entry.score === null ? { state: 'failed', level: rung, score: null } : { state: 'observed', level: rung, score: sign * entry.score };
  }
  if (report.status === 'cancelled') return { state: 'cancelled', level: 0, score: null };
  const best = report.status === 'failed' ? null : bestFiniteObjective(report.objectiveByEpoch, asha.mode);
  if (best === null) return { state: 'failed', level: 0, score: null };
  return { state: 'observed', level: -1, score: sign * best };
}
