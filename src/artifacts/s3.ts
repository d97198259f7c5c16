/** The S3-compatible implementation of the artifact store (see index.ts for the contract). */
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import { checkKey, type ArtifactStore, type Body, type ClearOptions, type Freed } from './store.js';
import type { S3Location, S3Options } from './location.js';
import { ArtifactStoreConfigError } from '../domain/permanent-errors.js';

/**
 * Errors that a retry cannot fix (with any 403): the trial fails with the message instead of
 * retrying forever. XAdminUserNotFound is versitygw's answer (a 404) to an unknown access key.
 */
const PERMANENT = new Set(['NoSuchBucket', 'AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'InvalidBucketName', 'XAdminUserNotFound']);
/** Parts of a multipart upload; objects smaller than this go up in one PUT. */
const PART_SIZE = 16 * 1024 * 1024;

/** An S3 failure that may pass (a timeout, a 503), naming the object and the operation. */
export class ArtifactStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArtifactStoreError';
  }
}

// One client per setting, so that a worker's many checkpoint writes reuse connections.
const clients = new Map<string, S3Client>();
function clientFor(options: S3Options): S3Client {
  const id = JSON.stringify(options);
  let client = clients.get(id);
  if (!client) {
    client = new S3Client({ region: options.region, endpoint: options.endpoint, forcePathStyle: options.forcePathStyle, credentials: options.credentials });
    clients.set(id, client);
  }
  return client;
}

export class S3Store implements ArtifactStore {
  readonly location: string;
  private readonly client: S3Client;

  constructor(
    private readonly where: S3Location,
    options: S3Options,
  ) {
    this.location = `s3://${where.bucket}${where.prefix ? `/${where.prefix}` : ''}`;
    this.client = clientFor(options);
  }

  locate(key: string): string {
    return `s3://${this.where.bucket}/${this.objectKey(key)}`;
  }

  async put(key: string, body: Body): Promise<void> {
    const Key = this.objectKey(key);
    // One PUT for a buffer; a stream goes up in parts, and the object appears only when the upload completes.
    const Body = body instanceof Uint8Array ? body : Readable.from(body);
    await this.call('put', key, () => new Upload({ client: this.client, params: { Bucket: this.where.bucket, Key, Body }, partSize: PART_SIZE, queueSize: 2 }).done());
  }

  async get(key: string): Promise<Readable | undefined> {
    const Key = this.objectKey(key);
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.where.bucket, Key }));
      return response.Body as Readable;
    } catch (err) {
      // Only a missing object is "none": any other 404 (bucket, unknown key id) must not read as "no checkpoint yet".
      if (err instanceof S3ServiceException && err.name === 'NoSuchKey') return undefined;
      throw this.failure('get', key, err);
    }
  }

  async list(prefix = ''): Promise<string[]> {
    return (await this.objects(prefix)).map((o) => o.key).sort();
  }

  /** An upload that dies leaves no object behind (incomplete multipart uploads are the bucket lifecycle's business): no leftovers to clear. */
  async clear(dir: string, { dryRun = false, leftoversOnly = false }: ClearOptions = {}): Promise<Freed> {
    checkKey(dir);
    if (leftoversOnly) return { files: 0, bytes: 0 };
    const objects = await this.objects(`${dir}/`);
    if (!dryRun) for (const object of objects) await this.delete(object.key);
    return { files: objects.length, bytes: objects.reduce((sum, o) => sum + o.bytes, 0) };
  }

  private async objects(prefix: string): Promise<{ key: string; bytes: number }[]> {
    const base = this.where.prefix ? `${this.where.prefix}/` : '';
    const objects: { key: string; bytes: number }[] = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await this.call('list', prefix, () => this.client.send(new ListObjectsV2Command({ Bucket: this.where.bucket, Prefix: base + prefix, ContinuationToken })));
      for (const object of page.Contents ?? []) if (object.Key) objects.push({ key: object.Key.slice(base.length), bytes: object.Size ?? 0 });
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return objects;
  }

  async delete(key: string): Promise<void> {
    const Key = this.objectKey(key);
    await this.call('delete', key, () => this.client.send(new DeleteObjectCommand({ Bucket: this.where.bucket, Key })));
  }

  private objectKey(key: string): string {
    checkKey(key);
    return this.where.prefix ? `${this.where.prefix}/${key}` : key;
  }

  private async call<T>(operation: string, key: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      throw this.failure(operation, key, err);
    }
  }

  private failure(operation: string, key: string, err: unknown): ArtifactStoreError | ArtifactStoreConfigError {
    const code = err instanceof S3ServiceException ? err.name : (err as { code?: string }).code;
    const reason = err instanceof Error ? err.message : String(err);
    const where = `s3://${this.where.bucket}/${this.where.prefix ? `${this.where.prefix}/` : ''}${key}`;
    const message = `${operation} ${where} failed: ${code ? `${code}: ` : ''}${reason}`;
    const permanent = err instanceof S3ServiceException && (PERMANENT.has(err.name) || err.$metadata.httpStatusCode === 403);
    return permanent ? new ArtifactStoreConfigError(message) : new ArtifactStoreError(message);
  }
}
