import path from 'node:path';
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
  /** DATABASE_URL (postgres://...); unset = start/reuse the embedded PostgreSQL. */
  databaseUrl?: string;
  /** SWEEP_ARTIFACTS: checkpoints and exported models; must be shared by all workers (default SWEEP_HOME/artifacts). */
  artifactsDir: string;
  /** SWEEP_MODELS: exported best models, `<sweep id>/best/`; shared like artifactsDir when workers are remote (default SWEEP_HOME/models). */
  modelsDir: string;
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
 * naming DATABASE_URL and what was expected. The one check of the variable, at config load and at connect.
 */
export function databaseServer(raw: string): string {
  const problem = `DATABASE_URL: expected a URL like postgres://user:password@host:5432/dbname, got '${redact(raw)}'`;
  let url: URL;
  try {
    // postgres.js accepts host1:port1,host2:port2; URL does not, so check the first host.
    url = new URL(raw.replace(/@([^/?]*?),[^/?]*/, '@$1'));
  } catch {
    throw new UserError(problem);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new UserError(`DATABASE_URL: expected the postgres:// or postgresql:// scheme, got '${url.protocol}'`);
  }
  if (!url.hostname) throw new UserError(`DATABASE_URL: the URL has no host: '${redact(raw)}'`);
  return `${url.hostname}:${url.port || 5432}`;
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
    databaseUrl: databaseUrl(env.DATABASE_URL),
    artifactsDir: path.resolve(cwd, env.SWEEP_ARTIFACTS || path.join(home, 'artifacts')),
    modelsDir: path.resolve(cwd, env.SWEEP_MODELS || path.join(home, 'models')),
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
