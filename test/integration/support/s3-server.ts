/**
 * A real S3-compatible server for tests: versitygw (infra/s3/install.sh provisions it) with its
 * posix backend in a temp directory, on a free port of `host`, with one bucket created through
 * the S3 API.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3Options } from '../../../src/artifacts/index.js';
import { canConnect, freePort } from '../../../src/stack/net.js';
import { until } from './until.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));

export interface S3TestServer {
  endpoint: string;
  bucket: string;
  /** The environment variables a sweep process needs to use it (SWEEP_S3_ENDPOINT, AWS_*). */
  env: Record<string, string>;
  options: S3Options;
  stop(): Promise<void>;
}

export async function startS3Server({ host = '127.0.0.1', bucket = 'sweep-artifacts' } = {}): Promise<S3TestServer> {
  const binary = execFileSync('bash', [path.join(root, 'infra/s3/install.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const dir = mkdtempSync(path.join(tmpdir(), 'sweep-s3-'));
  mkdirSync(path.join(dir, 'data'));
  const port = await freePort();
  const accessKeyId = `test${randomBytes(4).toString('hex')}`;
  const secretAccessKey = randomBytes(16).toString('hex');
  const child = spawn(binary, ['--access', accessKeyId, '--secret', secretAccessKey, '--port', `${host}:${port}`, 'posix', path.join(dir, 'data')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await until(
    `versitygw on ${host}:${port}`,
    async () => {
      if (child.exitCode !== null) throw new Error(`versitygw exited with ${child.exitCode}:\n${stderr}`);
      return (await canConnect(host, port)) || undefined;
    },
    30_000,
  );
  const endpoint = `http://${host}:${port}`;
  const options: S3Options = { endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } };
  const client = new S3Client(options);
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  client.destroy();
  return {
    endpoint,
    bucket,
    options,
    env: { SWEEP_S3_ENDPOINT: endpoint, AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_REGION: 'us-east-1' },
    async stop() {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
