import assert from 'node:assert/strict';
import { test } from 'node:test';
import { poll, pollUntil } from '../../src/poll.js';

test('poll returns the first value that is not undefined, after as many probes as it took', async () => {
  let calls = 0;
  const value = await poll(() => (++calls === 3 ? 0 : undefined), { timeoutMs: 5_000, intervalMs: 1 });
  assert.equal(value, 0, 'falsy values other than undefined count');
  assert.equal(calls, 3);
});

test('poll gives undefined at the deadline; pollUntil throws the given error', async () => {
  let calls = 0;
  const never = (): number | undefined => {
    calls++;
    return undefined;
  };
  assert.equal(await poll(never, { timeoutMs: 30, intervalMs: 5 }), undefined);
  assert.ok(calls >= 2, `probed more than once (${calls})`);
  await assert.rejects(
    pollUntil(() => undefined, { timeoutMs: 10, intervalMs: 5, timeoutError: () => new Error('the thing never came') }),
    /the thing never came/,
  );
});

test('a probe that throws ends the wait with its error', async () => {
  await assert.rejects(
    poll(
      () => {
        throw new Error('server exited');
      },
      { timeoutMs: 1_000 },
    ),
    /server exited/,
  );
});
