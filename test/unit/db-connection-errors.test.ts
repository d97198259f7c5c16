import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isConnectionError } from '../../src/db/postgres-store.js';

test('connection-class errors are the ones the store waits out; query errors and our own close are not', () => {
  for (const code of ['ECONNREFUSED', 'ECONNRESET', 'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', '57P01', '57P03', '08006']) {
    assert.equal(isConnectionError(Object.assign(new Error(code), { code })), true, code);
  }
  for (const code of ['23505', '42P01', '28P01', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED']) {
    assert.equal(isConnectionError(Object.assign(new Error(code), { code })), false, code);
  }
  assert.equal(isConnectionError(new Error('no code')), false);
  assert.equal(isConnectionError(undefined), false);
});
