import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nativeSkip } from '../support/native.js';

test('a native test skips, saying why, where the addon does not load; in CI that is a failure', (t) => {
  const ci = process.env.CI;
  t.after(() => (ci === undefined ? delete process.env.CI : (process.env.CI = ci)));
  delete process.env.CI;
  assert.equal(nativeSkip(undefined), false);
  assert.equal(nativeSkip('tfjs-node not built'), 'tfjs-node not built');
  process.env.CI = 'true';
  assert.equal(nativeSkip(undefined), false);
  assert.throws(() => nativeSkip('tfjs-node not built'), /CI=true, and the native backend must load in CI: tfjs-node not built/);
});
