import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  upsertMemo,
} from '@temporalio/workflow';
import type { Activities } from '../src/activities/index.js';
import { nonRetryableErrors, type TrialInput, type TrialResult } from './types.js';

/** Bookkeeping activities: quick DB writes on the orchestration queue. */
const db = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', nonRetryableErrorTypes: nonRetryableErrors },
});

/**
 * One trial: train (on the train queue) until `untilEpoch`, resuming from the trial's checkpoint when
 * one exists, and record the outcome. Training heartbeats every few seconds, so a dead worker is
 * noticed within the heartbeat timeout and the retry resumes from the last checkpoint on any worker.
 * Never fails: a failed or cancelled trial is a result the sweep counts.
 */
export async function trialWorkflow(input: TrialInput): Promise<TrialResult> {
  const train = proxyActivities<Activities>({
    taskQueue: input.trainQueue,
    startToCloseTimeout: '30 days',
    heartbeatTimeout: '30 seconds',
    cancellationType: 'WAIT_CANCELLATION_COMPLETED',
    retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes: nonRetryableErrors },
  });
  await upsertMemo({ params: input.params, untilEpoch: input.untilEpoch });
  await db.recordTrialStart(input);

  let result: TrialResult;
  try {
    result = await train.trainTrial(input);
  } catch (err) {
    if (!isCancellation(err)) {
      result = failedResult(input, describe(err));
    } else {
      // Record the cancellation even though this workflow is being cancelled.
      await CancellationScope.nonCancellable(() => db.recordTrialResult({ ...failedResult(input, 'cancelled'), status: 'cancelled', failureReason: undefined }));
      throw err;
    }
  }
  // Non-cancellable: a trial that finished training just as the sweep was cancelled still gets recorded.
  await CancellationScope.nonCancellable(() => db.recordTrialResult(result));
  return result;
}

function failedResult(input: TrialInput, reason: string): TrialResult {
  return {
    trial: input.trial,
    trialId: input.trialId,
    sweepId: input.sweepId,
    status: 'failed',
    epochsTrained: 0,
    bestEpoch: 0,
    bestValAuc: Number.NaN,
    params: 0,
    objectiveByEpoch: [],
    failureReason: reason,
  };
}

function describe(err: unknown): string {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  if (cause instanceof ApplicationFailure) return `${cause.type ?? 'Error'}: ${cause.message}`;
  return cause instanceof Error ? cause.message : String(cause);
}
