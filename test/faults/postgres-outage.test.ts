// Scenario 2: PostgreSQL stopped mid-sweep (fast shutdown, a real SIGINT to the postmaster), then
// started again on the same data. The database being down is an infrastructure fault: no trial
// fails for it, no epoch's metrics are lost (epochs that finish while it is down are stored when it
// is back), trials.attempts matches Temporal's attempt count, and each worker says so in one line.
//
// "Long" is 90 s: longer than every timeout on the path (the 30 s heartbeat timeout of training,
// the 1-minute start-to-close timeout of the bookkeeping activities, postgres.js's 10 s connect
// timeout), so each of them expires at least once while the database is down; a longer outage
// exercises nothing more, it only waits longer.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openFaultStack, recordedEpochs, sleep, standardSpec, STANDARD_EPOCHS, trainingAttempts, until, type FaultStack } from './support/fault-stack.js';
import { assertSweepInvariants, epochsRedone, recordScenario } from './support/invariants.js';

let stack: FaultStack;
before(async () => {
  stack = await openFaultStack();
  await stack.worker('orchestration');
  await stack.worker('train', 2);
});
after(async () => await stack?.close());

const countMatches = (text: string, re: RegExp) => (text.match(new RegExp(re, 'g')) ?? []).length;

for (const [label, downMs] of [
  ['short', 5_000],
  ['long', 90_000],
] as const) {
  test(`PostgreSQL down ${downMs / 1000} s mid-sweep (${label}): no trial fails, no epoch is lost`, async () => {
    const outagesBefore = stack.workers.map((w) => countMatches(w.output(), /is unreachable/));
    const epochLinesBefore = () => stack.workers.reduce((n, w) => n + [...w.epochs.values()].flat().length, 0);
    const { sweepId, startedAt } = await stack.startSweep(stack.spec(`pg-${label}`, standardSpec(`pg-${label}`)));
    await until('a recorded epoch', async () => ((await recordedEpochs(stack.db, sweepId)) >= 1 ? true : undefined));

    await stack.postgres.stop();
    const linesAtStop = epochLinesBefore();
    await sleep(downMs);
    const trainedWhileDown = epochLinesBefore() - linesAtStop;
    await stack.postgres.start();

    const { result, wallSeconds } = await stack.sweepResult(sweepId, startedAt);
    assert.equal(result.status, 'completed');
    assert.equal(result.counts.failed, 0);
    const trials = await assertSweepInvariants(stack.db, stack.client, sweepId, { allowed: ['completed'] });
    for (const t of trials) {
      assert.equal(t.epochsTrained, STANDARD_EPOCHS, `${t.id}: every epoch stored`);
      assert.equal(t.attempts, await trainingAttempts(stack.client, t.sweepId, t.id), `${t.id}: trials.attempts is Temporal's attempt count`);
    }
    if (label === 'long') assert.ok(trainedWhileDown > 0, 'epochs finished while the database was down (and are stored, above)');
    stack.workers.forEach((w, i) => {
      const warnings = countMatches(w.output(), /is unreachable/) - outagesBefore[i]!;
      assert.ok(warnings <= 1, `worker ${w.identity}: one warning line for the outage, got ${warnings}:\n${w.output()}`);
    });
    recordScenario({
      scenario: `2 postgres ${label}`,
      fault: `PostgreSQL down ${downMs / 1000} s`,
      epochsRedone: epochsRedone(stack.workers, sweepId),
      wallSeconds,
      notes: `${trainedWhileDown} epoch(s) finished while it was down`,
    });
  });
}
