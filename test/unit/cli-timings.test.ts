/** `sweep start --timings`'s table (src/cli/timings.ts): phases in order, the uncovered rest, the total. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PhaseTimings, trialPhasesTable } from '../../src/cli/timings.js';

test('phases are timed in order, a failing one too, and the rest between them is its own row', async () => {
  let clock = 0;
  const timings = new PhaseTimings(() => clock);
  await timings.time('stack start', async () => {
    clock += 1500;
  });
  clock += 500;
  await assert.rejects(
    timings.time('sweep run', async () => {
      clock += 2000;
      throw new Error('boom');
    }),
    /boom/,
  );
  const lines = timings.table().split('\n');
  assert.match(lines[0]!, /^phase\s+seconds\s+share$/);
  assert.deepEqual(
    lines.slice(2).map((l) => l.split(/\s{2,}/)),
    [
      ['stack start', '1.50', '38%'],
      ['sweep run', '2.00', '50%'],
      ['other (between phases)', '0.50', '13%'],
      ['total', '4.00', '100%'],
    ],
  );
});

test('a phase that ran before the timings existed counts from where the total starts', () => {
  let clock = 700;
  const timings = new PhaseTimings(() => clock, 0);
  timings.ran('CLI start', 0);
  clock += 300;
  assert.deepEqual(
    timings
      .table()
      .split('\n')
      .slice(2)
      .map((l) => l.split(/\s{2,}/)),
    [
      ['CLI start', '0.70', '70%'],
      ['other (between phases)', '0.30', '30%'],
      ['total', '1.00', '100%'],
    ],
  );
});

test("a phase's parts are indented under it and not counted twice", async () => {
  let clock = 0;
  const timings = new PhaseTimings(() => clock);
  await timings.time('stack start', async () => {
    clock += 3000;
    timings.detail('stack start', 'PostgreSQL', 2000);
    timings.detail('stack start', 'Temporal', 3000);
  });
  assert.equal(timings.msOf('stack start'), 3000);
  assert.deepEqual(
    timings
      .table()
      .split('\n')
      .slice(2)
      .map((l) => l.split(/\s{2,}/)),
    [
      ['stack start', '3.00', '100%'],
      ['', 'PostgreSQL', '2.00', '67%'],
      ['', 'Temporal', '3.00', '100%'],
      ['other (between phases)', '0.00', '0%'],
      ['total', '3.00', '100%'],
    ],
  );
});

test("the trials' phases are summed over the runs; what the runs left of the slots' time is idle", () => {
  const phases = { processWait: 100, backendLoad: 200, checkpointRead: 0, modelBuild: 100, firstStep: 300, batches: 1000, validation: 200, checkpointWrite: 50, inferenceTiming: 50 };
  // In-process phases 2,000 ms; runner 2,100 (100 of IPC and rows); activity 2,300 (200 of bookkeeping, 0 dataset).
  const run = { activity: 2300, dataset: 0, training: 2100, phases };
  const lines = trialPhasesTable([run, run], 2, 5000).split('\n');
  const rows = new Map(
    lines
      .slice(2)
      .map((l) => l.split(/\s{2,}/))
      .map(([name, ...cells]) => [name!, cells]),
  );
  assert.match(lines[0]!, /^trial phases \(2 training run\(s\) on 2 slot\(s\)\)/);
  assert.deepEqual(rows.get('first step (traces the compiled function)'), ['0.60', '0.30', '6%']);
  assert.deepEqual(rows.get('IPC, trial start and epoch rows'), ['0.20', '0.10', '2%']);
  assert.deepEqual(rows.get('result bookkeeping (result row, temp files)'), ['0.40', '0.20', '4%']);
  assert.deepEqual(rows.get('slots idle (between trials, fewer trials than slots)'), ['5.40', '2.70', '54%']);
  assert.deepEqual(rows.get('total (2 slot(s) x the run)'), ['10.00', '100%']);
});
