// Scenario 1: the Temporal server stopped (SIGTERM) mid-sweep and started again on the same SQLite
// file. Workers and training carry on through it (training does not need Temporal; heartbeats and
// completions wait), and each worker reports the outage in one line per state change instead of a
// flood of gRPC retry warnings.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openFaultStack, recordedEpochs, sleep, standardSpec, until, type FaultStack } from './support/fault-stack.js';
import { assertSweepInvariants, epochsRedone, recordScenario } from './support/invariants.js';

const DOWN_MS = 10_000;

let stack: FaultStack;
before(async () => (stack = await openFaultStack()));
after(async () => await stack?.close());

test(`Temporal stopped (SIGTERM) for ${DOWN_MS / 1000} s mid-sweep and restarted on the same database file`, async () => {
  await stack.worker('orchestration');
  await stack.worker('train', 2);
  const { sweepId, startedAt } = await stack.startSweep(stack.spec('temporal', standardSpec('temporal')));
  await until('a recorded epoch', async () => ((await recordedEpochs(stack.db, sweepId)) >= 1 ? true : undefined));

  const linesBefore = stack.workers.map((w) => w.output().split('\n').length);
  await stack.temporal.stop();
  await sleep(DOWN_MS);
  await stack.temporal.start();

  const { result, wallSeconds } = await stack.sweepResult(sweepId, startedAt);
  assert.equal(result.status, 'completed');
  await assertSweepInvariants(stack.db, stack.client, sweepId);
  stack.workers.forEach((w, i) => {
    const during = w
      .output()
      .split('\n')
      .slice(linesBefore[i]! - 1)
      .filter((l) => !l.startsWith('[') || /^\[(WARN|ERROR)\]/.test(l));
    const temporalLines = during.filter((l) => /temporal|grpc|transport|poll/i.test(l));
    assert.ok(temporalLines.length <= 4, `worker ${w.identity}: a line per state change of the Temporal connection, got ${temporalLines.length}:\n${temporalLines.join('\n')}`);
    assert.ok(
      temporalLines.some((l) => /Temporal at \S+ is unreachable/.test(l)),
      `worker ${w.identity} says Temporal is unreachable:\n${w.output()}`,
    );
  });
  recordScenario({ scenario: '1 temporal restart', fault: `Temporal down ${DOWN_MS / 1000} s (SIGTERM)`, epochsRedone: epochsRedone(stack.workers, sweepId), wallSeconds });
});
