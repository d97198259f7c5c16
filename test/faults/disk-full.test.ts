// Scenario 8: the disk of the artifact store (SWEEP_ARTIFACTS, a real 4 MB tmpfs) fills mid-sweep and
// stays full for longer than the training heartbeat timeout, then space is freed. A full disk is an
// infrastructure fault, waited out like a database outage: no trial fails or burns an attempt, each
// waiting trial says so in one line naming the sweep, the trial, the file and the setting, and one
// when space is back; no epoch is redone; and no truncated checkpoint is ever renamed into place
// (every checkpoint.bin read while the disk is full parses whole).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readCheckpoint } from '../../src/train/checkpoint.js';
import { mountSmallDisk, smallDiskUnavailable, type SmallDisk } from '../support/small-disk.js';
import { openFaultStack, recordedEpochs, sleep, standardSpec, STANDARD_EPOCHS, trainingAttempts, until, type FaultStack } from './support/fault-stack.js';
import { assertSweepInvariants, epochsRedone, recordScenario } from './support/invariants.js';

const skip = smallDiskUnavailable();
let stack: FaultStack | undefined;
let disk: SmallDisk | undefined;
before(async () => {
  if (skip) return;
  disk = mountSmallDisk('4m');
  stack = await openFaultStack();
  stack.env.SWEEP_ARTIFACTS = disk.dir; // the workers and the CLI started below get it
});
after(async () => {
  await stack?.close();
  disk?.remove();
});

/** Every checkpoint.bin in the store, and the problem with each that does not parse whole. */
async function damagedCheckpoints(root: string): Promise<string[]> {
  const files = readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name === 'checkpoint.bin');
  const problems: string[] = [];
  for (const file of files) await readCheckpoint(file.parentPath).catch((err: unknown) => problems.push((err as Error).message));
  return problems;
}

test('the artifact disk fills mid-sweep: trials wait for space, none fails or retries, no truncated checkpoint is committed', { skip }, async () => {
  const { dir } = disk!;
  await stack!.worker('orchestration');
  const train = await stack!.worker('train', 2);
  const { sweepId, startedAt } = await stack!.startSweep(stack!.spec('disk-full', standardSpec('disk-full')));
  await until('a recorded epoch', async () => ((await recordedEpochs(stack!.db, sweepId)) >= 1 ? true : undefined));

  const filler = path.join(dir, 'filler');
  try {
    writeFileSync(filler, Buffer.alloc(8 * 1024 * 1024));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
  await until('a trial waiting for space', () => (/no space to write/.test(train.output()) ? true : undefined));
  const damaged: string[] = [];
  // Longer than the 30 s heartbeat timeout of training: the waiting trials must keep heartbeating.
  for (let waited = 0; waited < 40_000; waited += 1_000) {
    damaged.push(...(await damagedCheckpoints(dir)));
    await sleep(1_000);
  }
  const whileFull = (await stack!.db.listTrials(sweepId)).filter((t) => t.status === 'failed');
  rmSync(filler);

  const { result, wallSeconds } = await stack!.sweepResult(sweepId, startedAt);
  assert.deepEqual(damaged, [], 'no truncated checkpoint was ever in place');
  assert.deepEqual(whileFull, [], 'no trial failed while the disk was full');
  assert.equal(result.status, 'completed');
  assert.equal(result.counts.failed, 0);
  const trials = await assertSweepInvariants(stack!.db, stack!.client, sweepId, { allowed: ['completed'] });
  for (const t of trials) {
    assert.equal(t.epochsTrained, STANDARD_EPOCHS, `${t.id}: every epoch stored`);
    assert.equal(await trainingAttempts(stack!.client, sweepId, t.id), 1, `${t.id}: the full disk cost no Temporal attempt`);
    assert.equal(t.attempts, 1, `${t.id}: trials.attempts is Temporal's attempt count`);
  }
  assert.deepEqual(await damagedCheckpoints(dir), []);
  const output = train.output();
  const waits =
    output.match(new RegExp(`^sweep ${sweepId}, trial ${sweepId}-trial-\\d: no space to write ${dir}/\\S+/checkpoint\\.bin \\(ENOSPC on the disk of SWEEP_ARTIFACTS\\): waiting for space.*$`, 'gm')) ??
    [];
  const backs = output.match(new RegExp(`^sweep ${sweepId}, trial ${sweepId}-trial-\\d: the disk of SWEEP_ARTIFACTS has space again after \\d+ s.*$`, 'gm')) ?? [];
  assert.ok(waits.length >= 1, `a warning naming sweep, trial, file and setting:\n${output}`);
  assert.equal(backs.length, waits.length, `one "space again" line per waiting trial:\n${output}`);
  assert.equal(new Set(waits.map((l) => l.split(':')[0])).size, waits.length, 'one warning per waiting trial, not one per retry');
  assert.doesNotMatch(output, new RegExp(`${sweepId}.*\\.tmp-`), 'no temp file named in any message');
  const redone = epochsRedone(stack!.workers, sweepId);
  assert.equal(redone, 0, 'no epoch trained twice');
  recordScenario({ scenario: '8 disk full', fault: 'SWEEP_ARTIFACTS tmpfs full for 40 s', epochsRedone: redone, wallSeconds, notes: `${waits.length} trial(s) waited for space` });
});
