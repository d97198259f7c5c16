/** A sweep's Temporal histories: every trial is one training activity (trainTrial) in the sweep workflow's history. */
import type { Client } from '@temporalio/client';
import type proto from '@temporalio/proto';

export type History = proto.temporal.api.history.v1.IHistory;

/** Every run of the sweep workflow, latest first, following continue-as-new back from the latest (no visibility lag). */
export async function sweepHistories(client: Client, sweepId: string): Promise<History[]> {
  const histories: History[] = [];
  let runId: string | undefined;
  for (;;) {
    const history = await client.workflow.getHandle(sweepId, runId).fetchHistory();
    histories.push(history);
    runId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ?? undefined;
    if (!runId) return histories;
  }
}

/** The results of every training activity that completed, in every run of the sweep workflow. */
export async function completedTrainings<T>(client: Client, sweepId: string): Promise<T[]> {
  const { payloadConverter } = client.options.loadedDataConverter;
  const results: T[] = [];
  for (const history of await sweepHistories(client, sweepId)) {
    const training = new Set<string>();
    for (const e of history.events ?? []) {
      if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'trainTrial') training.add(String(e.eventId));
      const completed = e.activityTaskCompletedEventAttributes;
      const payload = completed?.result?.payloads?.[0];
      if (payload && training.has(String(completed.scheduledEventId))) results.push(payloadConverter.fromPayload<T>(payload));
    }
  }
  return results;
}
