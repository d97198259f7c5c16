/**
 * The one interface between a sweep workflow and a search strategy (grid, random, ASHA, TPE...).
 * Strategies run inside Temporal workflow code, so they are pure and deterministic: no Node
 * modules, no clocks, no Math.random (use src/rng.ts), and their state is plain JSON that the
 * workflow carries across continue-as-new.
 *
 * A strategy gets a plain-JSON `StrategySetup` (built outside the workflow by src/sweep-spec/plan.ts
 * `strategySetupOf`) and chooses each trial's params itself, at run time if it likes (a sampler
 * may use the results reported so far). A trial is runnable from its params alone: the training
 * activity resolves the variant from the sweep's base model plus the params, and fails the trial
 * non-retryably ('InvalidVariant') when that variant is invalid.
 */
import type { TerminalTrialStatus } from '../domain/status.js';
import type { SweepSpec } from '../sweep-spec/types.js';
import type { Constraint, Objective, TrialMetrics } from './objective.js';
import type { Params, SearchSpace } from './space.js';

export type Decision =
  /** Start trial `trial` (numbered 1, 2, ... in start order) with `params`, training it until epoch `untilEpoch` (inclusive). */
  | { kind: 'start'; trial: number; params: Params; untilEpoch: number }
  /** Resume trial `trial` (same params) from its checkpoint and train it on until epoch `untilEpoch` (ASHA promotion). */
  | { kind: 'continue'; trial: number; params: Params; untilEpoch: number }
  /** Nothing can start until a running trial reports. */
  | { kind: 'wait' }
  /** Nothing runs and nothing can start: the sweep is finished. */
  | { kind: 'done' };

/** What the workflow tells a strategy when a started or continued trial stops running. */
export interface TrialReport {
  trial: number;
  /** completed = reached the decision's untilEpoch. */
  status: TerminalTrialStatus;
  /** Epochs trained in total, resumed ones included. */
  epochsTrained: number;
  /** The spec's objective metric after each epoch, from epoch 1 (resumed history included); null = not finite (JSON has no NaN). */
  objectiveByEpoch: readonly (number | null)[];
  /** The trial's measurements at its best epoch, for several objectives and constraints; absent when it has none (failed, cancelled). */
  metrics?: TrialMetrics;
}

/** An earlier sweep's finished trial at the same epoch budget: its params and its best-epoch measurements. */
export interface WarmStartTrial {
  params: Params;
  metrics: TrialMetrics;
}

/** Everything a strategy may know about the sweep: plain JSON, no schema objects. */
export interface StrategySetup {
  /** The spec's `strategy` block as parsed (type, trials, ASHA's rungs, ...). */
  strategy: SweepSpec['strategy'];
  objective: SweepSpec['objective'];
  /** Several objectives, when the spec has them (they replace `objective` for the sampler). */
  objectives?: Objective[];
  /** When the spec has them. */
  constraints?: Constraint[];
  /** Configurations to run first, in order (random and TPE), as Optuna's enqueue_trial. */
  enqueue?: Params[];
  /** Finished trials of earlier sweeps (spec.warmStart), read before the workflow starts: TPE's first observations, never run again. */
  warmStart?: WarmStartTrial[];
  /** training.epochs: how long a trial trains unless the strategy says otherwise. */
  epochs: number;
  /** The strategy's seed (strategy.seed, else training.seed). */
  seed: number;
  space: SearchSpace;
}

export interface Strategy<S> {
  initial(setup: StrategySetup): S;
  /**
   * The next thing to do. The workflow calls it while it has a free slot (maxConcurrentTrials)
   * and acts on 'start'/'continue' at once: the returned state already counts that trial as running.
   */
  next(state: S): { decision: Decision; state: S };
  /** Records a trial that stopped running. Reports for trials not running are ignored, so a duplicate delivery is harmless. */
  report(state: S, report: TrialReport): S;
}
