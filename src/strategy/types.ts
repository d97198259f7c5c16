/**
 * The one interface between a sweep workflow and a search strategy (grid, random, ASHA; a
 * Bayesian/TPE sampler later). Strategies run inside Temporal workflow code, so they are pure and
 * deterministic: no Node modules, no clocks, no Math.random (use src/rng.ts), and their state is
 * plain JSON that the workflow carries across continue-as-new.
 *
 * Every trial a strategy can start is planned and statically validated up front (src/spec/plan.ts);
 * a strategy decides which planned trial runs next and for how many epochs.
 */
import type { SweepSpec, TrialPlan } from '../spec/types.js';

export type Decision =
  /** Start planned trial `trial` from scratch and train it until epoch `untilEpoch` (inclusive). */
  | { kind: 'start'; trial: number; untilEpoch: number }
  /** Resume trial `trial` from its checkpoint and train it on until epoch `untilEpoch` (ASHA promotion). */
  | { kind: 'continue'; trial: number; untilEpoch: number }
  /** Nothing can start until a running trial reports. */
  | { kind: 'wait' }
  /** Nothing runs and nothing can start: the sweep is finished. */
  | { kind: 'done' };

export type TrialOutcome = 'completed' | 'early-stopped' | 'failed' | 'cancelled';

/** What the workflow tells a strategy when a started or continued trial stops running. */
export interface TrialReport {
  trial: number;
  /** completed = reached the decision's untilEpoch. */
  status: TrialOutcome;
  /** Epochs trained in total, resumed ones included. */
  epochsTrained: number;
  /** The spec's objective metric after each epoch, from epoch 1 (resumed history included). */
  objectiveByEpoch: readonly number[];
}

export interface Strategy<S> {
  initial(spec: SweepSpec, plan: readonly TrialPlan[]): S;
  /**
   * The next thing to do. The workflow calls it while it has a free slot (maxConcurrentTrials)
   * and acts on 'start'/'continue' at once: the returned state already counts that trial as running.
   */
  next(state: S): { decision: Decision; state: S };
  /** Records a trial that stopped running. Reports for trials not running are ignored, so a duplicate delivery is harmless. */
  report(state: S, report: TrialReport): S;
}
