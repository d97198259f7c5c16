import { CancellationScope, isCancellation, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../src/activities/index.js';
import { describeFailure } from './errors.js';
import { trainSummary } from './summary.js';
import { nonRetryableErrors, type TrialInput, type TrialResult } from './types.js';

/** Writes a trial's outcome when training could not (it failed for good, or was cancelled). */
const trialRecords = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', nonRetryableErrorTypes: nonRetryableErrors },
});

/**
 * One trial as its own workflow (sweeps started before the 'trials-as-activities' patch run their
 * trials this way; see runTrial).
 */
export async function trialWorkflow(input: TrialInput): Promise<TrialResult> {
  return runTrial(input, trainSummary(input.untilEpoch, input.resumes, input.training.backend));
}

/**
 * One trial: one training activity (on the train queue) that records the trial's start, epochs and
 * result itself, until `untilEpoch`, resuming from the trial's checkpoint when one exists.
 * Training heartbeats every few seconds, so a dead worker is noticed within the heartbeat timeout
 * and the retry resumes from the last checkpoint on any worker.
 * Never fails: a failed trial is a result the sweep counts; a cancelled one is recorded, then the
 * cancellation goes on to the caller. `summary` labels the activity in the Temporal UI.
 */
export async function runTrial(input: TrialInput, summary: string): Promise<TrialResult> {
  const { training } = input;
  const trainer = proxyActivities<Activities>({
    taskQueue: training.trainQueue,
    startToCloseTimeout: '30 days',
    heartbeatTimeout: '30 seconds',
    cancellationType: 'WAIT_CANCELLATION_COMPLETED',
    retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes: nonRetryableErrors },
    summary,
  });
  try {
    return await trainer.trainTrial(input);
  } catch (err) {
    if (isCancellation(err)) {
      // Record the cancellation even though this workflow is being cancelled.
      await CancellationScope.nonCancellable(() => trialRecords.recordTrialResult(cancelledResult(input), training.model));
      throw err;
    }
    const failed = failedResult(input, describeFailure(err));
    await CancellationScope.nonCancellable(() => trialRecords.recordTrialResult(failed, training.model));
    return failed;
  }
}

type TrialIdentity = Pick<TrialInput, 'trial' | 'trialId' | 'sweepId' | 'params'>;

export function cancelledResult(input: TrialIdentity): TrialResult {
  return { ...failedResult(input, ''), status: 'cancelled', failureReason: undefined };
}

export function failedResult(input: TrialIdentity, reason: string): TrialResult {
  return {
    trial: input.trial,
    trialId: input.trialId,
    sweepId: input.sweepId,
    status: 'failed',
    epochsTrained: 0,
    bestEpoch: 0,
    bestValAuc: null,
    paramCount: 0,
    params: input.params,
    objectiveByEpoch: [],
    failureReason: reason,
  };
}
