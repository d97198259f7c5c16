// Scenario 7: the train worker dies mid-sweep (SIGKILL) and, before the retry resumes, one running
// trial's checkpoint is damaged (overwritten with garbage) and the other's is missing. Each restarts
// from epoch 1 (the seed makes it the same run), the damaged file is kept aside with the reason
// (and the worker says so), and the sweep is not harmed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkpointDir } from '../../src/activities/index.js';
import { openFaultStack, recordedEpochs, standardSpec, STANDARD_EPOCHS, until, type FaultStack } from './support/fault-stack.js';
import { assertSweepInvariants, epochsRedone, recordScenario } from './support/invariants.js';

let stack: FaultStack;
before(async () => (stack = await openFaultStack()));
after(async () => await stack?.close());

test('a damaged and a missing checkpoint when the retry resumes: those trials start over, the sweep completes', async () => {
  await stack.worker('orchestration');
  const first = await stack.worker('train', 2);
  const { sweepId, startedAt } = await stack.startSweep(stack.spec('ckpt', standardSpec('ckpt', { space: { learningRate: [0.005, 0.01] } })));
  const [one, two] = [`${sweepId}-trial-1`, `${sweepId}-trial-2`];
  await until('both trials past their first epoch', async () => {
    const trials = await stack.db.listTrials(sweepId);
    return trials.length === 2 && trials.every((t) => t.epochsTrained >= 1 && t.epochsTrained < STANDARD_EPOCHS) ? true : undefined;
  });
  first.kill('SIGKILL', { group: true });
  await first.exited;
  const damaged = path.join(checkpointDir(stack.config, sweepId, one), 'checkpoint.bin');
  writeFileSync(damaged, Buffer.alloc(4096, 0xab));
  rmSync(path.join(checkpointDir(stack.config, sweepId, two), 'checkpoint.bin'));
  const recordedBefore = await recordedEpochs(stack.db, sweepId);
  const second = await stack.worker('train', 2);

  const { result, wallSeconds } = await stack.sweepResult(sweepId, startedAt);
  assert.equal(result.status, 'completed');
  const trials = await assertSweepInvariants(stack.db, stack.client, sweepId);
  assert.ok(trials.every((t) => t.epochsTrained === STANDARD_EPOCHS));
  assert.equal(second.epochs.get(one)?.[0], 1, 'the trial with the damaged checkpoint started over');
  assert.equal(second.epochs.get(two)?.[0], 1, 'the trial without a checkpoint started over');
  assert.match(second.output(), new RegExp(`\\[${one}\\] discarded a damaged checkpoint: .*checkpoint\\.bin is not a danq-sweep checkpoint: moved it to .*\\.corrupt and training from epoch 1`));
  assert.ok(existsSync(`${damaged}.corrupt`), 'the damaged file is kept for inspection');
  assert.match(readFileSync(`${damaged}.corrupt.txt`, 'utf8'), /not a danq-sweep checkpoint/);
  const redone = epochsRedone(stack.workers, sweepId);
  recordScenario({
    scenario: '7 checkpoint damaged/missing',
    fault: 'worker SIGKILLed; one checkpoint garbage, one deleted',
    epochsRedone: redone,
    wallSeconds,
    notes: `${recordedBefore} epoch(s) trained before; both trials restarted from epoch 1`,
  });
});
