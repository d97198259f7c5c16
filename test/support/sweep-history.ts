/**
 * A sweep's Temporal histories, for tests that look at how its trials ran: every trial is one
 * training activity (trainTrial) in the sweep workflow's history.
 */
import type { Client } from '@temporalio/client';
import type proto from '@temporalio/proto';
import { sweepHistories } from '../../src/cli/sweep-history.js';

export { sweepHistories };

type ActivityStarted = proto.temporal.api.history.v1.IActivityTaskStartedEventAttributes;

/**
 * The started events of a trial's training activity, one per time it was scheduled (a promotion
 * schedules it again); each carries the attempt that last started and the failure before it.
 */
export async function trainingStarts(client: Client, sweepId: string, trialId: string): Promise<ActivityStarted[]> {
  const { payloadConverter } = client.options.loadedDataConverter;
  const starts: ActivityStarted[] = [];
  for (const history of (await sweepHistories(client, sweepId)).reverse()) {
    const ofTrial = new Set<string>();
    for (const e of history.events ?? []) {
      const scheduled = e.activityTaskScheduledEventAttributes;
      if (scheduled?.activityType?.name === 'trainTrial' && payloadConverter.fromPayload<{ trialId: string }>(scheduled.input!.payloads![0]!).trialId === trialId) ofTrial.add(String(e.eventId));
      const started = e.activityTaskStartedEventAttributes;
      if (started && ofTrial.has(String(started.scheduledEventId))) starts.push(started);
    }
  }
  return starts;
}
