/** `sweep start --timings`'s table (src/cli/timings.ts): phases in order, the uncovered rest, the total. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PhaseTimings } from '../../src/cli/timings.js';

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
