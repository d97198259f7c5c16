// Scenarios 3-5: worker processes killed mid-sweep with real signals.
//  3. The only train worker SIGKILLed (with its training children: the whole process group, as a
//     machine dying would), a new one started 10 s later: at most the interrupted epoch is redone.
//  4. SIGTERM to a train worker: it says so in one line, stops polling, finishes its epoch in
//     progress and exits within the documented bound; the trial goes on elsewhere from that checkpoint.
//  5. The orchestration worker SIGKILLed mid-sweep and started again.
import { afterEach, after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SHUTDOWN_GRACE_SECONDS } from '../../workers/index.js';
import { openFaultStack, recordedEpochs, sleep, standardSpec, trainingAttempts, until, type FaultStack } from './support/fault-stack.js';
import { assertSweepInvariants, epochsRedone, recordScenario } from './support/invariants.js';

let stack: FaultStack;
before(async () => (stack = await openFaultStack()));
afterEach(async () => await stack.killWorkers());
after(async () => await stack?.close());

test('the only train worker SIGKILLed, a new one 10 s later: at most the interrupted epoch is redone', async () => {
  await stack.worker('orchestration');
  const first = await stack.worker('train', 2);
  const { sweepId, startedAt } = await stack.startSweep(stack.spec('kill-train', standardSpec('kill-train')));
  await until('two recorded epochs', async () => ((await recordedEpochs(stack.db, sweepId)) >= 2 ? true : undefined));
  const running = (await stack.db.listTrials(sweepId)).filter((t) => t.status === 'running').length;
  first.kill('SIGKILL', { group: true });
  await first.exited;
  await sleep(10_000);
  await stack.worker('train', 2);

  const { result, wallSeconds } = await stack.sweepResult(sweepId, startedAt);
  assert.equal(result.status, 'completed');
  const trials = await assertSweepInvariants(stack.db, stack.client, sweepId);
  for (const t of trials) assert.equal(t.attempts, await trainingAttempts(stack.client, t.sweepId, t.id), `${t.id}: trials.attempts is Temporal's attempt count`);
  const redone = epochsRedone(stack.workers, sweepId);
  assert.ok(redone <= running, `at most the interrupted epoch of each of the ${running} running trial(s) is redone, got ${redone}`);
  recordScenario({ scenario: '3 train worker SIGKILL', fault: 'only train worker SIGKILLed, new one 10 s later', epochsRedone: redone, wallSeconds, notes: `${running} trial(s) interrupted` });
});

test(`SIGTERM to a train worker: one line, it finishes its epoch, exits within ${SHUTDOWN_GRACE_SECONDS} s, the trial resumes elsewhere`, async () => {
  await stack.worker('orchestration');
  // Both up before the sweep: whichever takes trial 1 is told to stop, the other takes it over.
  const pair = [await stack.worker('train', 1), await stack.worker('train', 1)];
  const spec = standardSpec('term-train', { space: { learningRate: [0.005, 0.01] }, maxConcurrentTrials: 1, training: { epochs: 8, batchSize: 32, seed: 1 } });
  const { sweepId, startedAt } = await stack.startSweep(stack.spec('term-train', spec));
  const trialId = `${sweepId}-trial-1`;
  const trainedBy = await until('trial 1 trained an epoch', async () => {
    const t = await stack.db.getTrial(trialId);
    return t && t.epochsTrained >= 1 ? t.workerIdentity : undefined;
  });
  const first = pair.find((w) => w.identity === trainedBy)!;
  const second = pair.find((w) => w !== first)!;
  const signalledAt = Date.now();
  first.kill('SIGTERM');
  await first.exited;
  const exitSeconds = (Date.now() - signalledAt) / 1000;
  assert.ok(exitSeconds < SHUTDOWN_GRACE_SECONDS + 10, `exited ${exitSeconds.toFixed(1)} s after SIGTERM`);
  assert.match(first.output(), /: SIGTERM: shutting down, polling stopped; 1 running trial\(s\) finish their epoch in progress/);

  const { result, wallSeconds } = await stack.sweepResult(sweepId, startedAt);
  assert.equal(result.status, 'completed');
  await assertSweepInvariants(stack.db, stack.client, sweepId);
  const trial = (await stack.db.getTrial(trialId))!;
  assert.equal(trial.workerIdentity, second.identity, 'the trial finished on the other worker');
  assert.equal(trial.epochsTrained, 8);
  const onSecond = second.epochs.get(trialId) ?? [];
  assert.ok(onSecond.length > 0 && onSecond[0]! > 1, `the second worker resumed from a checkpoint (trained ${onSecond.join(',')})`);
  const redone = epochsRedone(stack.workers, sweepId);
  assert.equal(redone, 0, 'the epoch in progress was finished, not redone');
  recordScenario({ scenario: '4 train worker SIGTERM', fault: 'SIGTERM to the train worker, a peer up', epochsRedone: redone, wallSeconds, notes: `exited ${exitSeconds.toFixed(1)} s after SIGTERM` });
});

test('the orchestration worker SIGKILLed mid-sweep and started again', async () => {
  const orchestration = await stack.worker('orchestration');
  await stack.worker('train', 2);
  const { sweepId, startedAt } = await stack.startSweep(stack.spec('kill-orch', standardSpec('kill-orch')));
  await until('a recorded epoch', async () => ((await recordedEpochs(stack.db, sweepId)) >= 1 ? true : undefined));
  orchestration.kill('SIGKILL', { group: true });
  await orchestration.exited;
  await sleep(3_000);
  await stack.worker('orchestration');

  const { result, wallSeconds } = await stack.sweepResult(sweepId, startedAt);
  assert.equal(result.status, 'completed');
  await assertSweepInvariants(stack.db, stack.client, sweepId);
  const redone = epochsRedone(stack.workers, sweepId);
  assert.equal(redone, 0);
  recordScenario({ scenario: '5 orchestration SIGKILL', fault: 'orchestration worker SIGKILLed, restarted 3 s later', epochsRedone: redone, wallSeconds });
});
