import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OutageReport, outageWaiter } from '../../src/outage.js';

const outage = () => Object.assign(new Error('down'), { code: 'DOWN' });

test('calls are retried through an outage, with one line when it starts and one when it ends', async () => {
  const lines: string[] = [];
  const waitingOut = outageWaiter({
    isOutage: (err) => (err as { code?: string }).code === 'DOWN',
    started: (err, subject) => `${subject} unreachable (${(err as { code: string }).code})`,
    ended: (seconds) => `back after ${seconds} s`,
    warn: (line) => lines.push(line),
    maxDelayMs: 10,
  });
  let calls = 0;
  const value = await waitingOut(async () => {
    if (++calls < 4) throw outage();
    return 'done';
  }, 'the thing');
  assert.equal(value, 'done');
  assert.equal(calls, 4);
  assert.deepEqual(lines, ['the thing unreachable (DOWN)', 'back after 0 s']);
  await assert.rejects(
    waitingOut(() => Promise.reject(new Error('a bad query'))),
    /a bad query/,
  );
  assert.equal(lines.length, 2, 'an error of the call itself is no outage');
});

test('a waiter that has given up throws the outage error', async () => {
  const waitingOut = outageWaiter({ isOutage: () => true, started: () => 'down', ended: () => 'up', warn: () => {}, givenUp: () => true });
  await assert.rejects(
    waitingOut(() => Promise.reject(outage())),
    /down/,
  );
});

test('an outage report prints one line when the outage starts and one when it ends, however many failures between', () => {
  const lines: string[] = [];
  const outage = new OutageReport((line) => lines.push(line));
  outage.end(() => 'back');
  assert.deepEqual(lines, [], 'no line while the server answers');
  assert.equal(
    outage.start(() => 'PostgreSQL at db:5432 is unreachable'),
    true,
  );
  assert.equal(
    outage.start(() => 'again'),
    false,
  );
  assert.equal(outage.down, true);
  outage.end((seconds) => `back after ${seconds} s`);
  outage.end(() => 'again');
  assert.equal(outage.down, false);
  assert.deepEqual(lines, ['PostgreSQL at db:5432 is unreachable', 'back after 0 s']);
});
