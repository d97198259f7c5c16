// followSweep's outcome from the workflow's result: a failed workflow is the sweep's failure with its
// reason (sweep start exits 3 with it); any other error is thrown as it came.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { followSweep, ProgressView } from '../../src/cli/progress.js';
import type { sweepWorkflow } from '../../workflows/sweep.js';

/** A handle whose result settles as given and whose progress query fails (the view just stays as it is). */
const handleWith = (result: Promise<never>) => ({ result: () => result, query: () => Promise.reject(new Error('no server')) }) as unknown as WorkflowHandle<typeof sweepWorkflow>;

test('a failed sweep workflow is reported with its cause; other errors are thrown', async () => {
  const failure = new WorkflowFailedError('Workflow execution failed', ApplicationFailure.nonRetryable('no trial produced a result'), 'NON_RETRYABLE_FAILURE');
  assert.deepEqual(await followSweep(handleWith(Promise.reject(failure)), new ProgressView(null, 2)), { failed: 'no trial produced a result' });
  await assert.rejects(followSweep(handleWith(Promise.reject(new Error('connection lost'))), new ProgressView(null, 2)), /connection lost/);
});
