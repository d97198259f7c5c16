import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitHostPort } from '../../src/stack/net.js';

test('host:port splits at the last colon, and an IPv6 host loses its brackets', () => {
  assert.deepEqual(splitHostPort('127.0.0.1:7233'), { host: '127.0.0.1', port: 7233 });
  assert.deepEqual(splitHostPort('temporal.example:443'), { host: 'temporal.example', port: 443 });
  assert.deepEqual(splitHostPort('[::1]:7233'), { host: '::1', port: 7233 });
});
