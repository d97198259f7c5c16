import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { loadConfig, redact, temporalAuth, temporalConnectionOptions } from '../../src/config/index.js';
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
    assert.throws(
      () => loadConfig(env, '/'),
      (err: unknown) => err instanceof UserError && pattern.test(err.message) && err.exitCode === 2,
    );
  });
}

test('passwords never reach messages', () => {
  assert.equal(redact('postgres://user:s3cret@host:5432/db'), 'postgres://user:***@host:5432/db');
  assert.throws(
    () => loadConfig({ DATABASE_URL: 'postgres://user:s3cret@/db bad' }, '/'),
    (err: Error) => !err.message.includes('s3cret'),
  );
});

test('artifact locations: a directory (resolved) or s3://bucket/prefix; S3 settings from the usual variables', () => {
  const c = loadConfig({ SWEEP_ARTIFACTS: 's3://my-bucket/sweeps/ckpt/', SWEEP_MODELS: 'models', AWS_ENDPOINT_URL: 'http://10.0.0.5:7070', AWS_ACCESS_KEY_ID: 'k', AWS_SECRET_ACCESS_KEY: 's' }, '/w');
  assert.equal(c.artifactsDir, 's3://my-bucket/sweeps/ckpt');
  assert.equal(c.modelsDir, path.resolve('/w/models'));
  assert.deepEqual(c.s3, { endpoint: 'http://10.0.0.5:7070', region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
  // SWEEP_S3_ENDPOINT wins; AWS itself (no endpoint) uses virtual-hosted style unless told otherwise.
  assert.equal(loadConfig({ SWEEP_S3_ENDPOINT: 'https://s3.internal', AWS_ENDPOINT_URL: 'http://other:1' }, '/').s3.endpoint, 'https://s3.internal');
  assert.deepEqual(loadConfig({ AWS_REGION: 'eu-west-1' }, '/').s3, { endpoint: undefined, region: 'eu-west-1', forcePathStyle: false });
  assert.equal(loadConfig({ SWEEP_S3_ENDPOINT: 'http://h:1', SWEEP_S3_FORCE_PATH_STYLE: 'false' }, '/').s3.forcePathStyle, false);
});

for (const [env, pattern] of [
  [{ SWEEP_ARTIFACTS: 's3://Bad_Bucket/x' }, /^SWEEP_ARTIFACTS: expected s3:\/\/bucket\/prefix with a valid bucket name/],
  [{ SWEEP_MODELS: 's3://' }, /^SWEEP_MODELS: expected s3:\/\/bucket\/prefix/],
  [{ SWEEP_ARTIFACTS: 's3://bucket/a/../b' }, /^SWEEP_ARTIFACTS: the prefix .* must not contain/],
  [{ SWEEP_ARTIFACTS: 'gs://bucket/x' }, /^SWEEP_ARTIFACTS: expected a directory or s3:\/\/bucket\/prefix, got 'gs:\/\/bucket\/x'/],
  [{ SWEEP_S3_ENDPOINT: 'minio:9000' }, /^SWEEP_S3_ENDPOINT: expected an http:\/\/ or https:\/\/ URL/],
  [{ AWS_ENDPOINT_URL: 'ftp://x' }, /^AWS_ENDPOINT_URL: expected an http:\/\/ or https:\/\/ URL/],
  [{ SWEEP_S3_FORCE_PATH_STYLE: 'maybe' }, /^SWEEP_S3_FORCE_PATH_STYLE: expected true or false, got 'maybe'/],
  [{ AWS_ACCESS_KEY_ID: 'k' }, /^AWS_SECRET_ACCESS_KEY: set it together with AWS_ACCESS_KEY_ID/],
] as const) {
  test(`bad ${Object.keys(env)[0]} is a UserError naming the variable: ${Object.values(env)[0]}`, () => {
    assert.throws(
      () => loadConfig(env, '/'),
      (err: unknown) => err instanceof UserError && pattern.test(err.message) && err.exitCode === 2,
    );
  });
}

test("Temporal TLS and API key from Temporal's own variables, for TEMPORAL_ADDRESS only", () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'danq-sweep-tls-'));
  try {
    const pemFile = (name: string, label: string) => {
      writeFileSync(path.join(dir, name), `-----BEGIN ${label}-----\nMIIB\n-----END ${label}-----\n`);
      return path.join(dir, name);
    };
    const env = {
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_TLS_CLIENT_CERT_PATH: pemFile('client.pem', 'CERTIFICATE'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: pemFile('client.key', 'PRIVATE KEY'),
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: pemFile('ca.pem', 'CERTIFICATE'),
      TEMPORAL_TLS_SERVER_NAME: 'frontend.temporal',
      TEMPORAL_API_KEY: 'k-123',
    };
    const config = loadConfig(env, '/');
    const options = temporalConnectionOptions(config, 'temporal.internal:7233');
    assert.equal(options.address, 'temporal.internal:7233');
    assert.equal(options.apiKey, 'k-123');
    assert.ok(options.tls);
    assert.match(options.tls.clientCertPair!.crt.toString(), /BEGIN CERTIFICATE/);
    assert.match(options.tls.clientCertPair!.key.toString(), /BEGIN PRIVATE KEY/);
    assert.match(options.tls.serverRootCACertificate!.toString(), /BEGIN CERTIFICATE/);
    assert.equal(options.tls.serverNameOverride, 'frontend.temporal');

    assert.deepEqual(temporalAuth({ TEMPORAL_API_KEY: 'k' }), { tls: {}, apiKey: 'k' }, 'an API key alone turns TLS on, as in Temporal Cloud');
    assert.deepEqual(temporalAuth({ TEMPORAL_API_KEY: 'k', TEMPORAL_TLS: 'false' }), { apiKey: 'k', tls: false });
    assert.deepEqual(temporalAuth({ TEMPORAL_TLS: 'true' }), { tls: {} });
    assert.deepEqual(temporalAuth({}), {});
    assert.deepEqual(temporalConnectionOptions(loadConfig({ TEMPORAL_API_KEY: 'k' }, '/'), '127.0.0.1:7233'), { address: '127.0.0.1:7233' }, 'the embedded dev server gets neither');

    const refuses = (bad: Record<string, string>, pattern: RegExp) =>
      assert.throws(
        () => loadConfig({ ...env, ...bad }, '/'),
        (err: unknown) => err instanceof UserError && pattern.test(err.message),
      );
    refuses({ TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'missing.pem') }, /^TEMPORAL_TLS_CLIENT_CERT_PATH: cannot read '.*missing\.pem' \(ENOENT\)/);
    refuses({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: dir }, /^TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read/);
    writeFileSync(path.join(dir, 'junk.pem'), 'not a certificate');
    refuses({ TEMPORAL_TLS_CLIENT_KEY_PATH: path.join(dir, 'junk.pem') }, /^TEMPORAL_TLS_CLIENT_KEY_PATH: '.*junk\.pem' is not PEM/);
    refuses({ TEMPORAL_TLS_CLIENT_KEY_PATH: '' }, /^TEMPORAL_TLS_CLIENT_KEY_PATH: set it together with TEMPORAL_TLS_CLIENT_CERT_PATH/);
    refuses({ TEMPORAL_TLS: 'maybe' }, /^TEMPORAL_TLS: expected true or false/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
