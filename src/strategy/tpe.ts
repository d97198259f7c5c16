/**
 * `"strategy": {"type": "tpe", ...}`: each trial trains for training.epochs with params the TPE
 * sampler (tpe-sampler.ts) proposes from every result so far, up to `trials` trials, at most
 * maxConcurrentTrials at once (running trials count against their own region: constant liar).
 *
 * The params are chosen at run time, when the trial starts, from the results reported so far. A
 * trial's observation is its best objective over its
 * epochs (the same best-epoch view the sweep uses to pick its best model); a failed trial, or one
 * without a finite objective, is an observation of failure.
 */
import { bestFiniteObjective, trialMetricOf, type Constraint, type Objective, type ObjectiveMetric } from './objective.js';
import { lossesOf, violationOf } from './pareto.js';
import { tpeSpaceOf } from './tpe-space.js';
import { initialSampler, observeTrial, proposeTrial, startTrial, type TpeOptions, type TpeSamplerState, type TpeTrial } from './tpe-sampler.js';
import type { Params } from './space.js';
import type { Strategy, TrialReport, WarmStartTrial } from './types.js';

export interface TpeState {
  type: 'tpe';
  trialCount: number;
  epochs: number;
  mode: 'max' | 'min';
  /** Several objectives: the sampler splits trials by non-domination rank (tpe-sampler.ts). */
  objectives?: Objective[];
  /** Infeasible trials go "below" only after every feasible one, least violation first. */
  constraints?: Constraint[];
  /** Configurations still to run before the sampler proposes any (spec.enqueue, as Optuna's enqueue_trial). */
  enqueued?: Params[];
  /** The next trial to start (1-based). */
  nextTrial: number;
  sampler: TpeSamplerState;
}

/** Optuna's n_startup_trials default. */
export const DEFAULT_STARTUP_TRIALS = 10;

export const tpeStrategy: Strategy<TpeState> = {
  initial(setup) {
    if (setup.strategy.type !== 'tpe') throw new Error(`tpeStrategy needs a tpe strategy spec, got ${setup.strategy.type}`);
    const options: TpeOptions = { startupTrials: setup.strategy.startupTrials ?? DEFAULT_STARTUP_TRIALS, multivariate: setup.strategy.multivariate ?? true };
    const state: TpeState = {
      type: 'tpe',
      trialCount: setup.strategy.trials,
      epochs: setup.epochs,
      mode: setup.objective.mode,
      ...(setup.objectives && { objectives: setup.objectives }),
      ...(setup.constraints && { constraints: setup.constraints }),
      ...(setup.enqueue && { enqueued: setup.enqueue }),
      nextTrial: 1,
      sampler: initialSampler(tpeSpaceOf(setup.space), options, setup.seed),
    };
    return setup.warmStart ? withWarmStart(state, setup.warmStart, setup.objective.metric) : state;
  },

  next(state) {
    const running = state.sampler.trials.some((t) => t.state === 'running');
    if (state.nextTrial > state.trialCount) return { decision: { kind: running ? 'wait' : 'done' }, state };
    const trial = state.nextTrial;
    const [enqueued, ...rest] = state.enqueued ?? [];
    if (enqueued) {
      return {
        decision: { kind: 'start', trial, params: enqueued, untilEpoch: state.epochs },
        state: { ...state, nextTrial: trial + 1, enqueued: rest, sampler: startTrial(state.sampler, trial, enqueued) },
      };
    }
    const proposal = proposeTrial(state.sampler, trial);
    // A finite space with every configuration run or running: nothing new to try.
    if (proposal === undefined) return { decision: { kind: running ? 'wait' : 'done' }, state: { ...state, trialCount: trial - 1 } };
    return { decision: { kind: 'start', trial, params: proposal.params, untilEpoch: state.epochs }, state: { ...state, nextTrial: trial + 1, sampler: proposal.sampler } };
  },

  report(state, report) {
    const entry = state.sampler.trials.find((t) => t.trial === report.trial);
    if (entry?.state !== 'running') return state;
    return { ...state, sampler: observeTrial(state.sampler, report.trial, outcomeOf(report, state)) };
  },
};

/**
 * Earlier sweeps' trials as observations, numbered -1, -2, ... so they never collide with this
 * sweep's trials: they count towards the startup trials, shape "below" and "above" like any
 * finished trial, and are never proposed again (the sampler skips configurations it has seen).
 */
function withWarmStart(state: TpeState, trials: readonly WarmStartTrial[], metric: ObjectiveMetric): TpeState {
  let sampler = state.sampler;
  trials.forEach((t, i) => {
    const trial = -(i + 1);
    const value = trialMetricOf(metric, t.metrics);
    const report: TrialReport = { trial, status: 'completed', epochsTrained: state.epochs, objectiveByEpoch: [value], metrics: t.metrics };
    sampler = observeTrial(startTrial(sampler, trial, t.params), trial, outcomeOf(report, state));
  });
  return { ...state, sampler };
}

type Outcome = Pick<TpeTrial, 'state' | 'level' | 'score' | 'losses' | 'violation'>;

/** A finished single-fidelity trial as the sampler sees it. */
function outcomeOf(report: TrialReport, state: Pick<TpeState, 'mode' | 'objectives' | 'constraints'>): Outcome {
  if (report.status === 'cancelled') return { state: 'cancelled', level: 0, score: null };
  if (report.status === 'failed') return { state: 'failed', level: 0, score: null };
  const observed = state.objectives ? severalObjectivesOutcome(report, state.objectives) : singleObjectiveOutcome(report, state.mode);
  if (observed.state !== 'observed' || !state.constraints) return observed;
  return { ...observed, violation: report.metrics ? violationOf(state.constraints, report.metrics) : Infinity };
}

function singleObjectiveOutcome(report: TrialReport, mode: 'max' | 'min'): Outcome {
  const best = bestFiniteObjective(report.objectiveByEpoch, mode);
  if (best === null) return { state: 'failed', level: 0, score: null };
  return { state: 'observed', level: 0, score: mode === 'max' ? best : -best };
}

/** Observed when every objective was measured; its score is the first objective, oriented higher-better. */
function severalObjectivesOutcome(report: TrialReport, objectives: readonly Objective[]): Outcome {
  const losses = report.metrics && lossesOf(objectives, report.metrics);
  if (losses === undefined) return { state: 'failed', level: 0, score: null };
  return { state: 'observed', level: 0, score: -losses[0]!, losses };
}
