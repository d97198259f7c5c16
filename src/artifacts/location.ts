/**
 * Artifact locations: a directory path, or `s3://bucket/prefix` for S3-compatible object storage.
 * Pure string logic, shared by the config module (validation) and the stores.
 */

/** How to reach S3-compatible storage (see s3Options in src/config for the environment variables). */
export interface S3Options {
  /** Custom endpoint (MinIO, SeaweedFS, versitygw, ...); unset = AWS. */
  endpoint?: string;
  region: string;
  /** `endpoint/bucket/key` instead of `bucket.endpoint/key`. */
  forcePathStyle: boolean;
  /** Static credentials; unset = the AWS SDK's default provider chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

export interface S3Location {
  bucket: string;
  /** Key prefix without leading or trailing slash; '' for the bucket's root. */
  prefix: string;
}

const S3_SCHEME = 's3://';
// S3's bucket naming rules: 3-63 characters, lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function isS3Location(location: string): boolean {
  return location.startsWith(S3_SCHEME);
}

/** The bucket and prefix of an s3:// location, or the problem with it. */
export function parseS3Location(location: string): S3Location & { problem?: string } {
  const rest = location.slice(S3_SCHEME.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  const prefix = slash < 0 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '');
  if (!BUCKET.test(bucket)) {
    return { bucket, prefix, problem: `expected s3://bucket/prefix with a valid bucket name (3-63 lowercase letters, digits, '.' or '-'), got bucket '${bucket}' in '${location}'` };
  }
  if (prefix.split('/').some((part) => part === '..' || part === '.')) return { bucket, prefix, problem: `the prefix of '${location}' must not contain '.' or '..' segments` };
  return { bucket, prefix };
}

/** `location` with path segments appended ('/'-separated for both kinds). */
export function joinLocation(location: string, ...parts: string[]): string {
  return [location.replace(/\/+$/, ''), ...parts].join('/');
}
