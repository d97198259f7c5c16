// The API's settings from the environment, and which addresses count as this machine only.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { apiEnv, isLoopback } from '../../src/api/index.js';
import { isUserError } from '../../src/errors.js';

const refuses = (env: NodeJS.ProcessEnv, pattern: RegExp) =>
  assert.throws(
    () => apiEnv(env),
    (err: Error) => isUserError(err) && pattern.test(err.message),
  );

describe('apiEnv', () => {
  it('an empty SWEEP_API_TOKEN is a configuration error, not "no authentication"', () => {
    refuses({ SWEEP_API_TOKEN: '' }, /^SWEEP_API_TOKEN: set but empty/);
    refuses({ SWEEP_API_TOKEN: '  ' }, /^SWEEP_API_TOKEN: set but empty/);
    assert.equal(apiEnv({}).token, undefined);
    assert.equal(apiEnv({ SWEEP_API_TOKEN: 's3cret' }).token, 's3cret');
  });

  it('SWEEP_API_ALLOWED_HOSTS: host names, lower-cased; a scheme or port is refused', () => {
    assert.deepEqual(apiEnv({ SWEEP_API_ALLOWED_HOSTS: 'Grafana.example.org, api, [::1]' }).allowedHosts, ['grafana.example.org', 'api', '[::1]']);
    refuses({ SWEEP_API_ALLOWED_HOSTS: 'http://grafana' }, /^SWEEP_API_ALLOWED_HOSTS: .*'http:\/\/grafana'/);
    refuses({ SWEEP_API_ALLOWED_HOSTS: 'grafana:3000' }, /^SWEEP_API_ALLOWED_HOSTS/);
  });

  it('SWEEP_API_DATABASE_URL is checked and named', () => {
    assert.equal(apiEnv({ SWEEP_API_DATABASE_URL: 'postgres://r:p@db:5432/sweep' }).databaseUrl, 'postgres://r:p@db:5432/sweep');
    refuses({ SWEEP_API_DATABASE_URL: 'mysql://db/x' }, /^SWEEP_API_DATABASE_URL: expected the postgres/);
  });
});

describe('isLoopback', () => {
  it('127.0.0.0/8, ::1 and localhost only', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST']) assert.ok(isLoopback(host), host);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.org', '128.0.0.1']) assert.ok(!isLoopback(host), host);
  });
});
