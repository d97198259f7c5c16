import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isS3Location, parseS3Location, type S3Options } from '../artifacts/location.js';
import { UserError } from '../errors.js';

/**
 * Every setting that crosses a process boundary, read from one place. The same variable names are
 * used by the CLI, workers, tests and infra/ (compose files, docs).
 */
export interface Config {
  /** SWEEP_HOME: embedded stack state, dataset cache, artifacts (default ./.sweep). */
  home: string;
  /** TEMPORAL_ADDRESS (host:port); unset = start/reuse the embedded dev server. */
  temporalAddress?: string;
  /** TEMPORAL_NAMESPACE (default "default"). */
  namespace: string;
  /** TLS and API key for the Temporal at TEMPORAL_ADDRESS (the embedded dev server has neither). */
  temporalAuth: TemporalAuth;
  /** DATABASE_URL (postgres://...); unset = start/reuse the embedded PostgreSQL. */
  databaseUrl?: string;
  /**
   * SWEEP_ARTIFACTS: trial checkpoints, an artifact location (src/artifacts): a directory every
   * worker shares, or `s3://bucket/prefix` (default SWEEP_HOME/artifacts).
   */
  artifactsDir: string;
  /** SWEEP_MODELS: exported best models, `<sweep id>/best/`; a directory or `s3://bucket/prefix` like artifactsDir (default SWEEP_HOME/models). */
  modelsDir: string;
  /** How to reach S3-compatible storage for s3:// locations. */
  s3: S3Options;
  /** SWEEP_CACHE: encoded datasets, per machine (default SWEEP_HOME/cache). */
  cacheDir: string;
  /** Embedded stack ports: SWEEP_TEMPORAL_PORT (7233), SWEEP_UI_PORT (8233), SWEEP_PG_PORT (5433). */
  ports: { temporal: number; ui: number; postgres: number };
  taskQueues: { orchestration: string; train: string };
}

type Env = Record<string, string | undefined>;

function port(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UserError(`${name}: expected a port number 0-65535, got '${raw}'`);
  return n;
}

function temporalAddress(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  const match = /^(\[[^\]]+\]|[^:/\s]+):(\d{1,5})$/.exec(raw);
  if (!match || Number(match[2]) > 65535) throw new UserError(`TEMPORAL_ADDRESS: expected host:port (e.g. 127.0.0.1:7233), got '${raw}'`);
  return raw;
}

function databaseUrl(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  databaseServer(raw);
  return raw;
}

/**
 * host:port of a DATABASE_URL (the first host of a postgres.js multi-host URL), or a UserError
 * naming the variable (DATABASE_URL unless told) and what was expected. The one check of the variable, at config load and at connect.
 */
export function databaseServer(raw: string, name = 'DATABASE_URL'): string {
  const problem = `${name}: expected a URL like postgres://user:password@host:5432/dbname, got '${redact(raw)}'`;
  let url: URL;
  try {
    // postgres.js accepts host1:port1,host2:port2; URL does not, so check the first host.
    url = new URL(raw.replace(/@([^/?]*?),[^/?]*/, '@$1'));
  } catch {
    throw new UserError(problem);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new UserError(`${name}: expected the postgres:// or postgresql:// scheme, got '${url.protocol}'`);
  }
  if (!url.hostname) throw new UserError(`${name}: the URL has no host: '${redact(raw)}'`);
  return `${url.hostname}:${url.port || 5432}`;
}

/** A directory (resolved against cwd) or a validated s3://bucket/prefix URL. */
function artifactLocation(env: Env, name: string, fallback: string, cwd: string): string {
  const raw = env[name];
  if (raw === undefined || raw === '') return path.resolve(cwd, fallback);
  if (!isS3Location(raw)) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) throw new UserError(`${name}: expected a directory or s3://bucket/prefix, got '${redact(raw)}'`);
    return path.resolve(cwd, raw);
  }
  const problem = parseS3Location(raw).problem;
  if (problem) throw new UserError(`${name}: ${problem}`);
  return raw.replace(/\/+$/, '');
}

function booleanVar(env: Env, name: string): boolean | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (/^(1|true|yes)$/i.test(raw)) return true;
  if (/^(0|false|no)$/i.test(raw)) return false;
  throw new UserError(`${name}: expected true or false, got '${raw}'`);
}

/**
 * S3 settings: the endpoint from SWEEP_S3_ENDPOINT, else AWS_ENDPOINT_URL_S3, else
 * AWS_ENDPOINT_URL (unset: AWS itself); path-style addressing (SWEEP_S3_FORCE_PATH_STYLE) defaults
 * to on with a custom endpoint, as most S3-compatible servers expect; credentials from
 * AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), else the AWS SDK's default chain.
 */
export function s3Options(env: Env = process.env): S3Options {
  const endpointVar = ['SWEEP_S3_ENDPOINT', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL'].find((name) => env[name]);
  let endpoint: string | undefined;
  if (endpointVar) {
    const raw = env[endpointVar]!;
    let url: URL | undefined;
    try {
      url = new URL(raw);
    } catch {
      /* reported below */
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
      throw new UserError(`${endpointVar}: expected an http:// or https:// URL of an S3-compatible server (e.g. http://127.0.0.1:7070), got '${redact(raw)}'`);
    }
    endpoint = raw;
  }
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
    throw new UserError(
      `${accessKeyId ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID'}: set it together with ${accessKeyId ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY'}, or unset both to use the AWS SDK's default credentials`,
    );
  }
  return {
    endpoint,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    forcePathStyle: booleanVar(env, 'SWEEP_S3_FORCE_PATH_STYLE') ?? endpoint !== undefined,
    ...(accessKeyId && secretAccessKey && { credentials: { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN && { sessionToken: env.AWS_SESSION_TOKEN }) } }),
  };
}

/**
 * How the CLI and workers authenticate to an external Temporal, from the variables Temporal's own CLI
 * and SDKs read: TEMPORAL_TLS_CLIENT_CERT_PATH + TEMPORAL_TLS_CLIENT_KEY_PATH (mTLS; or the PEM text in
 * TEMPORAL_TLS_CLIENT_CERT_DATA / TEMPORAL_TLS_CLIENT_KEY_DATA), TEMPORAL_TLS_SERVER_CA_CERT_PATH (or
 * _DATA), TEMPORAL_TLS_SERVER_NAME (SNI), TEMPORAL_API_KEY, and TEMPORAL_TLS=true|false. TLS is on
 * when any of them is set, unless TEMPORAL_TLS=false.
 */
export interface TemporalAuth {
  /** false: plain TCP even with an API key (which otherwise turns TLS on in the SDK). */
  tls?: { clientCertPair?: { crt: Buffer; key: Buffer }; serverRootCACertificate?: Buffer; serverNameOverride?: string } | false;
  apiKey?: string;
}

/** PEM text from NAME_PATH (a file) or NAME_DATA; undefined when neither is set. */
function pem(env: Env, name: string): Buffer | undefined {
  const file = env[`${name}_PATH`];
  const data = env[`${name}_DATA`];
  let text: Buffer;
  if (file) {
    try {
      text = readFileSync(file);
    } catch (err) {
      throw new UserError(`${name}_PATH: cannot read '${file}' (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  } else if (data) {
    text = Buffer.from(data);
  } else {
    return undefined;
  }
  if (!text.includes('-----BEGIN ')) throw new UserError(`${file ? `${name}_PATH: '${file}'` : `${name}_DATA`} is not PEM (expected a '-----BEGIN ...' block)`);
  return text;
}

export function temporalAuth(env: Env = process.env): TemporalAuth {
  const crt = pem(env, 'TEMPORAL_TLS_CLIENT_CERT');
  const key = pem(env, 'TEMPORAL_TLS_CLIENT_KEY');
  if (Boolean(crt) !== Boolean(key)) {
    const [missing, given] = crt ? ['TEMPORAL_TLS_CLIENT_KEY_PATH', 'TEMPORAL_TLS_CLIENT_CERT_PATH'] : ['TEMPORAL_TLS_CLIENT_CERT_PATH', 'TEMPORAL_TLS_CLIENT_KEY_PATH'];
    throw new UserError(`${missing}: set it together with ${given} (a client certificate and its private key)`);
  }
  const serverRootCACertificate = pem(env, 'TEMPORAL_TLS_SERVER_CA_CERT');
  const serverNameOverride = env.TEMPORAL_TLS_SERVER_NAME || undefined;
  const apiKey = env.TEMPORAL_API_KEY || undefined;
  const wanted = booleanVar(env, 'TEMPORAL_TLS') ?? Boolean(crt || serverRootCACertificate || serverNameOverride || apiKey);
  if (!wanted) return apiKey ? { apiKey, tls: false } : {};
  return {
    tls: { ...(crt && key && { clientCertPair: { crt, key } }), ...(serverRootCACertificate && { serverRootCACertificate }), ...(serverNameOverride && { serverNameOverride }) },
    ...(apiKey && { apiKey }),
  };
}

/** Connection options for Temporal at `address`: with config.temporalAuth when it is the external TEMPORAL_ADDRESS. */
export function temporalConnectionOptions(config: Config, address: string): { address: string } & TemporalAuth {
  return config.temporalAddress ? { address, ...config.temporalAuth } : { address };
}

/** Hides a password in a connection string before it is printed. */
export function redact(connection: string): string {
  return connection.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}

export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const home = path.resolve(cwd, env.SWEEP_HOME || '.sweep');
  return {
    home,
    temporalAddress: temporalAddress(env.TEMPORAL_ADDRESS),
    namespace: env.TEMPORAL_NAMESPACE || 'default',
    temporalAuth: temporalAuth(env),
    databaseUrl: databaseUrl(env.DATABASE_URL),
    artifactsDir: artifactLocation(env, 'SWEEP_ARTIFACTS', path.join(home, 'artifacts'), cwd),
    modelsDir: artifactLocation(env, 'SWEEP_MODELS', path.join(home, 'models'), cwd),
    s3: s3Options(env),
    cacheDir: path.resolve(cwd, env.SWEEP_CACHE || path.join(home, 'cache')),
    ports: {
      temporal: port(env, 'SWEEP_TEMPORAL_PORT', 7233),
      ui: port(env, 'SWEEP_UI_PORT', 8233),
      postgres: port(env, 'SWEEP_PG_PORT', 5433),
    },
    taskQueues: {
      orchestration: env.SWEEP_QUEUE || 'sweep',
      train: env.SWEEP_TRAIN_QUEUE || 'sweep-train',
    },
  };
}
