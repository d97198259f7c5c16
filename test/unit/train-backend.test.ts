/** Backend selection: the auto order, and a clear error for an explicitly requested missing backend. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { isUserError } from '../../src/errors.js';
import { selectBackend } from '../../src/train/backend.js';
import { AUTO_BACKEND_ORDER } from '../../src/train/backend-name.js';

test('auto prefers the native backends, then wasm, then cpu', () => {
  assert.deepEqual(AUTO_BACKEND_ORDER, ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu']);
});

test('auto falls back to wasm when the native packages are not installed, and says so', async () => {
  const lines: string[] = [];
  assert.equal(await selectBackend('auto', (line) => lines.push(line)), 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /training backend: wasm \(auto; skipped tfjs-node-gpu: @tensorflow\/tfjs-node-gpu is not installed/);
});

test('an explicitly requested backend that is missing is a UserError, not a fallback', async () => {
  await assert.rejects(selectBackend('tfjs-node'), (err: unknown) => {
    assert.ok(isUserError(err));
    assert.match(err.message, /backend 'tfjs-node' is not available: @tensorflow\/tfjs-node is not installed \(npm install @tensorflow\/tfjs-node\)/);
    return true;
  });
  assert.equal(tf.getBackend(), 'wasm');
});

test('explicit cpu and wasm switch the process backend', async () => {
  assert.equal(await selectBackend('cpu'), 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.equal(await selectBackend('wasm'), 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
});
