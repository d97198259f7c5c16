// Scenario 9: two sweeps on the same workers at once; one is cancelled midway. The other completes
// untouched: every trial completed, every epoch once, none retried.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openFaultStack, recordedEpochs, standardSpec, STANDARD_EPOCHS, trainingAttempts, until, type FaultStack } from './support/fault-stack.js';
import { assertSweepInvariants, epochsRedone, recordScenario } from './support/invariants.js';

let stack: FaultStack;
before(async () => (stack = await openFaultStack()));
after(async () => await stack?.close());

test('two sweeps on the same workers, one cancelled midway: the other completes untouched', async () => {
  await stack.worker('orchestration');
  await stack.worker('train', 2);
  const one = standardSpec('kept', { maxConcurrentTrials: 1 });
  const kept = await stack.startSweep(stack.spec('kept', one));
  const doomed = await stack.startSweep(stack.spec('doomed', { ...one, name: 'doomed' }));
  await until('the doomed sweep trained an epoch', async () => ((await recordedEpochs(stack.db, doomed.sweepId)) >= 1 ? true : undefined));
  const cancel = await stack.sweep('cancel', doomed.sweepId);
  assert.equal(cancel.code, 0, cancel.stderr);

  const cancelled = await stack.sweepResult(doomed.sweepId, doomed.startedAt);
  assert.equal(cancelled.result.status, 'cancelled');
  const { result, wallSeconds } = await stack.sweepResult(kept.sweepId, kept.startedAt);
  assert.equal(result.status, 'completed');

  const keptTrials = await assertSweepInvariants(stack.db, stack.client, kept.sweepId);
  for (const t of keptTrials) {
    assert.equal(t.epochsTrained, STANDARD_EPOCHS);
    assert.equal(await trainingAttempts(stack.client, t.sweepId, t.id), 1, `${t.id} was not retried`);
  }
  assert.equal((await stack.db.getSweep(kept.sweepId))!.status, 'completed');
  await assertSweepInvariants(stack.db, stack.client, doomed.sweepId, { allowed: ['completed', 'cancelled'], startedOnly: true });
  assert.equal((await stack.db.getSweep(doomed.sweepId))!.status, 'cancelled');
  const redone = epochsRedone(stack.workers, kept.sweepId);
  assert.equal(redone, 0);
  recordScenario({ scenario: '9 two sweeps, one cancelled', fault: 'sweep cancel on one of two concurrent sweeps', epochsRedone: redone, wallSeconds, notes: 'wall time of the sweep that went on' });
});
