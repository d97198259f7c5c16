/** Ids from a workflow input become paths: the activities refuse unsafe ones for good, before touching anything. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { checkpointDir, createActivities } from '../../src/activities/index.js';
import { loadConfig } from '../../src/config/index.js';
import type { ResultsStore } from '../../src/db/types.js';
import type { TrialInput } from '../../workflows/types.js';

const home = mkdtempSync(path.join(tmpdir(), 'danq-ids-'));
after(() => rmSync(home, { recursive: true, force: true }));
const config = loadConfig({ SWEEP_HOME: home });
// Never reached: the ids are checked before the database, the dataset or any file.
const activities = createActivities({ db: {} as ResultsStore, config, identity: 'test', backend: 'cpu' });

const refusedForGood = (pattern: RegExp) => (err: unknown) => {
  assert.ok(err instanceof ApplicationFailure, String(err));
  assert.equal(err.nonRetryable, true);
  assert.match(err.message, pattern);
  return true;
};

test('a sweep or trial id that is not one safe path segment is refused with a non-retryable error', async () => {
  const trial = (sweepId: string, trialId: string) => ({ sweepId, trialId, trial: 1, params: {}, untilEpoch: 1, resumes: false, training: {} }) as unknown as TrialInput;
  for (const [sweepId, trialId, bad] of [
    ['../../etc', 'x-trial-1', /sweep id "\.\.\/\.\.\/etc" must match/],
    ['sweep-ok', '../../../tmp/x', /trial id "\.\.\/\.\.\/\.\.\/tmp\/x" must match/],
    ['a/b', 'a-trial-1', /sweep id "a\/b"/],
    ['', 'a-trial-1', /sweep id ""/],
  ] as const) {
    await assert.rejects(
      new MockActivityEnvironment().run((input: TrialInput) => activities.trainTrial(input), trial(sweepId, trialId)),
      refusedForGood(bad),
    );
    await assert.rejects(
      new MockActivityEnvironment().run(() => activities.exportBestModel({ sweepId, trialId, model: {} as never, params: {} })),
      refusedForGood(bad),
    );
  }
  assert.equal(checkpointDir(config, 'sweep-a_B-0f', 'sweep-a_B-0f-trial-2'), path.join(config.artifactsDir, 'sweep-a_B-0f', 'sweep-a_B-0f-trial-2', 'checkpoint'));
});
