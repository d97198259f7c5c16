import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadConfig, redact } from '../../src/config/index.js';
import { UserError } from '../../src/errors.js';

test('defaults: embedded stack under ./.sweep', () => {
  const c = loadConfig({}, '/work/x');
  assert.equal(c.home, path.resolve('/work/x/.sweep'));
  assert.equal(c.temporalAddress, undefined);
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.namespace, 'default');
  assert.equal(c.artifactsDir, path.resolve('/work/x/.sweep/artifacts'));
  assert.equal(c.modelsDir, path.resolve('/work/x/.sweep/models'));
  assert.deepEqual(c.ports, { temporal: 7233, ui: 8233, postgres: 5433 });
});

test('external cluster settings are taken as given', () => {
  const c = loadConfig({ TEMPORAL_ADDRESS: 'temporal.internal:7233', TEMPORAL_NAMESPACE: 'ml', DATABASE_URL: 'postgres://u:p@db:5432/sweeps', SWEEP_HOME: '/data/s' }, '/');
  assert.equal(c.temporalAddress, 'temporal.internal:7233');
  assert.equal(c.namespace, 'ml');
  assert.equal(c.databaseUrl, 'postgres://u:p@db:5432/sweeps');
  assert.equal(c.home, '/data/s');
});

for (const [env, pattern] of [
  [{ DATABASE_URL: 'not a url' }, /^DATABASE_URL: expected a URL like postgres:/],
  [{ DATABASE_URL: 'mysql://u:secret@h/db' }, /^DATABASE_URL: expected the postgres:\/\/ or postgresql:\/\/ scheme, got 'mysql:'/],
  [{ TEMPORAL_ADDRESS: 'http://x:7233' }, /^TEMPORAL_ADDRESS: expected host:port/],
  [{ TEMPORAL_ADDRESS: 'host:99999' }, /^TEMPORAL_ADDRESS: expected host:port/],
  [{ SWEEP_UI_PORT: 'eighty' }, /^SWEEP_UI_PORT: expected a port number 0-65535, got 'eighty'/],
] as const) {
  test(`bad ${Object.keys(env)[0]} is a UserError naming the variable: ${Object.values(env)[0]}`, () => {
    assert.throws(() => loadConfig(env, '/'), (err: unknown) => err instanceof UserError && pattern.test(err.message) && err.exitCode === 2);
  });
}

test('passwords never reach messages', () => {
  assert.equal(redact('postgres://user:s3cret@host:5432/db'), 'postgres://user:***@host:5432/db');
  assert.throws(() => loadConfig({ DATABASE_URL: 'postgres://user:s3cret@/db bad' }, '/'), (err: Error) => !err.message.includes('s3cret'));
});
