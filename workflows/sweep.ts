import {
  CancellationScope,
  ParentClosePolicy,
  condition,
  continueAsNew,
  executeChild,
  isCancellation,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../src/activities/index.js';
import type { TerminalSweepStatus } from '../src/db/types.js';
import { planTrials } from '../src/spec/plan.js';
import { pickBest, sweepStrategy, type TrialOutcome } from '../src/strategy/index.js';
import { SweepIdAttr, SweepNameAttr, TrialNumberAttr } from './search-attributes.js';
import { trialWorkflow } from './trial.js';
import {
  cancelSignal,
  nonRetryableErrors,
  pauseSignal,
  progressQuery,
  resumeSignal,
  type BestSoFar,
  type SweepCarry,
  type SweepInput,
  type SweepResult,
  type SweepStatus,
  type TrialResult,
} from './types.js';

const db = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', nonRetryableErrorTypes: nonRetryableErrors },
});

export const trialWorkflowId = (sweepId: string, trial: number) => `${sweepId}-trial-${trial}`;

const emptyCounts = (): Record<TrialOutcome, number> => ({ completed: 0, 'early-stopped': 0, failed: 0, cancelled: 0 });

/**
 * One sweep: asks the strategy what to run, runs each trial as a child workflow (its own history in
 * the UI), at most `maxConcurrentTrials` at once, and picks the best by validation ROC AUC.
 * Deterministic: the plan is recomputed from the spec (pure), and all state is carried explicitly
 * across continue-as-new, which happens between trials once the history grows long.
 */
export async function sweepWorkflow(input: SweepInput): Promise<SweepResult> {
  const { sweepId, spec } = input;
  const plan = planTrials(spec);
  const carried: SweepCarry = input.carried ?? {
    strategy: sweepStrategy.initial(spec, plan),
    paused: false,
    counts: emptyCounts(),
    trialRuns: 0,
  };
  let strategy = carried.strategy;
  let paused = carried.paused;
  let best: BestSoFar | undefined = carried.best;
  const counts = carried.counts;
  let cancelled = false;
  let trialRunsThisHistory = 0;
  const running = new Set<number>();
  const finished: TrialResult[] = [];
  const trialsScope = new CancellationScope();

  const status = (): SweepStatus => (cancelled ? 'cancelled' : paused ? 'paused' : 'running');
  setHandler(progressQuery, () => ({ sweepId, status: status(), totalTrials: plan.length, running: [...running], counts: { ...counts }, best }));
  setHandler(pauseSignal, () => void (paused = true));
  setHandler(resumeSignal, () => void (paused = false));
  setHandler(cancelSignal, () => {
    cancelled = true;
    trialsScope.cancel();
  });

  let recordedStatus: SweepStatus = 'running';

  const launch = (trial: number, untilEpoch: number) => {
    const planned = plan[trial - 1]!;
    const trialId = trialWorkflowId(sweepId, trial);
    void trialsScope
      .run(() =>
        executeChild(trialWorkflow, {
          workflowId: trialId,
          args: [{
            sweepId, trialId, trial, params: planned.params, variant: planned.variant, dataset: input.dataset, untilEpoch,
            earlyStopping: spec.training.earlyStopping, backend: spec.training.backend, objective: spec.objective, trainQueue: input.trainQueue,
          }],
          memo: { params: planned.params },
          typedSearchAttributes: [
            { key: SweepIdAttr, value: sweepId },
            { key: SweepNameAttr, value: spec.name },
            { key: TrialNumberAttr, value: trial },
          ],
          cancellationType: 'WAIT_CANCELLATION_COMPLETED',
          parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
        }),
      )
      .then(
        (result) => void finished.push(result),
        (err) => {
          // The trial workflow records its own outcome; this is one cancelled, or terminated from the UI.
          const status = isCancellation(err) || cancelled ? 'cancelled' : 'failed';
          const result: TrialResult = { sweepId, trial, trialId, status, epochsTrained: 0, bestEpoch: 0, bestValAuc: Number.NaN, params: 0, objectiveByEpoch: [] };
          if (status === 'cancelled') return void finished.push(result);
          // Terminated or timed out: it could not record itself.
          const failed = { ...result, failureReason: `trial workflow ended: ${(err as Error).message}` };
          return db.recordTrialResult(failed).then(() => void finished.push(failed));
        },
      );
    running.add(trial);
    trialRunsThisHistory++;
  };

  const absorb = (result: TrialResult) => {
    running.delete(result.trial);
    counts[result.status]++;
    strategy = sweepStrategy.report(strategy, { trial: result.trial, status: result.status, epochsTrained: result.epochsTrained, objectiveByEpoch: result.objectiveByEpoch });
    if (result.status === 'failed' || result.status === 'cancelled') return;
    const candidate = { trial: result.trial, trialId: result.trialId, valAuc: result.bestValAuc, bestEpoch: result.bestEpoch, params: result.params };
    best = pickBest(best ? [best, candidate] : [candidate]);
  };

  const historyIsLong = () =>
    input.trialRunsPerHistory !== undefined ? trialRunsThisHistory >= input.trialRunsPerHistory : workflowInfo().continueAsNewSuggested;

  try {
    if (!input.carried) await db.recordSweepStatus({ sweepId, status: 'running' });
    for (;;) {
      while (finished.length > 0) absorb(finished.shift()!);
      if (status() !== recordedStatus && !cancelled) {
        recordedStatus = status();
        await db.recordSweepStatus({ sweepId, status: recordedStatus });
      }
      const draining = historyIsLong();
      let done = false;
      while (!cancelled && !paused && !draining && running.size < spec.maxConcurrentTrials) {
        const next = sweepStrategy.next(strategy);
        strategy = next.state;
        const decision = next.decision;
        if (decision.kind === 'start' || decision.kind === 'continue') launch(decision.trial, decision.untilEpoch);
        else {
          // 'wait' with nothing running would wait forever: treat it as done.
          done = decision.kind === 'done' || running.size === 0;
          break;
        }
      }
      if (running.size === 0 && (done || cancelled)) break;
      if (running.size === 0 && draining) {
        await continueAsNew<typeof sweepWorkflow>({ ...input, carried: { strategy, paused, counts, trialRuns: carried.trialRuns + trialRunsThisHistory, best } });
      }
      const [pausedBefore, cancelledBefore] = [paused, cancelled];
      await condition(() => finished.length > 0 || paused !== pausedBefore || cancelled !== cancelledBefore);
    }
  } catch (err) {
    // Cancelled from outside (Temporal UI or API) rather than by the cancel signal: the same outcome.
    // The cancellation reaches the running trials through trialsScope, a child of the root scope.
    if (!isCancellation(err)) throw err;
    cancelled = true;
  }

  return CancellationScope.nonCancellable(async () => {
    // Cancelled trials stop between batches and record themselves; count each one.
    while (running.size > 0) {
      await condition(() => finished.length > 0);
      while (finished.length > 0) absorb(finished.shift()!);
    }
    const finalStatus: TerminalSweepStatus = cancelled ? 'cancelled' : 'completed';
    let result: SweepResult = { sweepId, status: finalStatus, counts };
    if (best) {
      const modelPath = await exportActivity(input.trainQueue).exportBestModel({ sweepId, trialId: best.trialId, variant: plan[best.trial - 1]!.variant });
      result = { ...result, best: { ...best, modelPath } };
    }
    await db.finishSweep({ sweepId, status: finalStatus, bestTrialId: best?.trialId });
    return result;
  });
}

function exportActivity(trainQueue: string) {
  return proxyActivities<Activities>({
    taskQueue: trainQueue,
    startToCloseTimeout: '30 minutes',
    retry: { maximumAttempts: 5, nonRetryableErrorTypes: nonRetryableErrors },
  });
}
