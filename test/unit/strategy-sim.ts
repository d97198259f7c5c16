/**
 * A simulated sweep loop for strategy tests: asks the strategy what to run, "trains" each trial on
 * a synthetic learning curve in simulated time (one time unit per epoch, slightly different per trial
 * so trials finish out of order), and reports back, as the sweep workflow does. It checks the
 * strategy's contract on every step and keeps its own record of rung results, independent of the
 * strategy's state, so tests can judge the strategy's choices.
 */
import assert from 'node:assert/strict';
import { strategySetupOf } from '../../src/sweep-spec/plan.js';
import type { TrialPlan } from '../../src/sweep-spec/plan.js';
import type { SweepSpec } from '../../src/sweep-spec/types.js';
import type { TerminalTrialStatus } from '../../src/domain/status.js';
import { sweepStrategy, type Decision, type StrategyState, type TrialReport } from '../../src/strategy/index.js';

export interface SimOptions {
  concurrency: number;
  /** The objective after `epoch` (1-based) of a trial. */
  objective: (trial: number, epoch: number) => number;
  /** How a run ends when it does not simply complete: status and epochs trained in total. */
  outcome?: (trial: number, untilEpoch: number) => { status: TerminalTrialStatus; epochsTrained: number } | undefined;
  /** Pass the state through JSON after every step, as continue-as-new does. */
  jsonRoundTrip?: boolean;
}

export type SimEvent = { kind: 'decision'; decision: Decision } | { kind: 'report'; report: TrialReport };

export interface SimResult {
  /** Every start/continue decision and every report, in the order they happened. */
  timeline: SimEvent[];
  decisions: Decision[];
  reports: TrialReport[];
  /** Epochs trained over all trials (a continued trial trains only its new epochs). */
  totalEpochs: number;
  /** Epochs each trial was trained to in the end. */
  epochsByTrial: Map<number, number>;
  state: StrategyState;
}

export function simulate(spec: SweepSpec, plan: readonly TrialPlan[], options: SimOptions): SimResult {
  const pass = (state: StrategyState): StrategyState => {
    const copy = JSON.parse(JSON.stringify(state)) as StrategyState;
    assert.deepEqual(copy, state, 'strategy state must survive JSON unchanged');
    return options.jsonRoundTrip ? copy : state;
  };
  let state = pass(sweepStrategy.initial(strategySetupOf(spec)));
  const timeline: SimEvent[] = [];
  const epochsByTrial = new Map<number, number>();
  const running: { trial: number; until: number; finishAt: number }[] = [];
  let clock = 0;
  let totalEpochs = 0;

  for (let step = 0; ; step++) {
    assert.ok(step < 100_000, 'the sweep does not end');
    let last: Decision = { kind: 'wait' };
    while (running.length < options.concurrency) {
      const next = sweepStrategy.next(state);
      state = pass(next.state);
      last = next.decision;
      if (last.kind !== 'start' && last.kind !== 'continue') break;
      const { trial, untilEpoch } = last;
      timeline.push({ kind: 'decision', decision: last });
      const trained = epochsByTrial.get(trial);
      assert.ok(!running.some((r) => r.trial === trial), `trial ${trial} is already running`);
      if (last.kind === 'start') {
        assert.equal(trained, undefined, `trial ${trial} started twice`);
        assert.ok(trial >= 1 && trial <= plan.length, `trial ${trial} is not in the plan`);
        assert.deepEqual(last.params, plan[trial - 1]!.params, `trial ${trial} runs the params sweep validation planned`);
      } else {
        assert.ok(trained !== undefined, `trial ${trial} continued before it started`);
        assert.ok(untilEpoch > trained, `trial ${trial} continued to epoch ${untilEpoch} from ${trained}`);
      }
      const from = trained ?? 0;
      totalEpochs += untilEpoch - from;
      epochsByTrial.set(trial, from);
      running.push({ trial, until: untilEpoch, finishAt: clock + (untilEpoch - from) * (1 + (trial % 5) / 10) });
    }
    if (running.length === 0) {
      assert.equal(last.kind, 'done', 'the strategy must say done, not wait, when nothing runs');
      const decisions = timeline.flatMap((e) => (e.kind === 'decision' ? [e.decision] : []));
      const reports = timeline.flatMap((e) => (e.kind === 'report' ? [e.report] : []));
      return { timeline, decisions, reports, totalEpochs, epochsByTrial, state };
    }
    assert.notEqual(last.kind, 'done', 'the strategy said done while trials still run');

    running.sort((a, b) => a.finishAt - b.finishAt || a.trial - b.trial);
    const run = running.shift()!;
    clock = run.finishAt;
    const end = options.outcome?.(run.trial, run.until) ?? { status: 'completed' as const, epochsTrained: run.until };
    epochsByTrial.set(run.trial, end.epochsTrained);
    const report: TrialReport = {
      trial: run.trial,
      status: end.status,
      epochsTrained: end.epochsTrained,
      objectiveByEpoch: Array.from({ length: end.epochsTrained }, (_, i) => options.objective(run.trial, i + 1)),
    };
    timeline.push({ kind: 'report', report });
    state = pass(sweepStrategy.report(state, report));
  }
}
