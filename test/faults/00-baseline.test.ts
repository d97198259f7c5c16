// The undisturbed sweep every scenario is measured against: the standard spec on its own stack,
// one orchestration worker and one train worker process, nothing killed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openFaultStack, standardSpec, type FaultStack } from './support/fault-stack.js';
import { assertSweepInvariants, epochsRedone, recordScenario } from './support/invariants.js';

let stack: FaultStack;
before(async () => (stack = await openFaultStack()));
after(async () => await stack?.close());

test('baseline: the standard sweep, undisturbed', async () => {
  await stack.worker('orchestration');
  await stack.worker('train', 2);
  const { sweepId, startedAt } = await stack.startSweep(stack.spec('baseline', standardSpec('baseline')));
  const { result, wallSeconds } = await stack.sweepResult(sweepId, startedAt);
  assert.equal(result.status, 'completed');
  await assertSweepInvariants(stack.db, stack.client, sweepId);
  const redone = epochsRedone(stack.workers, sweepId);
  assert.equal(redone, 0);
  recordScenario({ scenario: 'baseline', fault: 'none', epochsRedone: redone, wallSeconds });
});
