/** Starts the HTTP API on a results database: used by `sweep serve` and `sweep dev`. */
import { isIP } from 'node:net';
import { databaseServer } from '../config/index.js';
import { openReadSource } from '../db/read-model.js';
import { UserError } from '../errors.js';
import { buildApi } from './server.js';

export { buildApi } from './server.js';
export type { ApiOptions } from './options.js';

export interface RunningApi {
  url: string;
  close(): Promise<void>;
}

export interface ApiSettings {
  host: string;
  port: number;
  /** SWEEP_API_TOKEN. */
  token?: string;
  /** SWEEP_API_CORS_ORIGINS. */
  corsOrigins?: string[];
  /** SWEEP_API_ALLOWED_HOSTS: Host header names accepted besides localhost, 127.0.0.1 and [::1]. */
  allowedHosts?: string[];
  /** `--insecure`: serve a non-loopback address without a token. */
  insecure?: boolean;
  version: string;
  log?: (line: string) => void;
}

export type ApiEnv = Pick<ApiSettings, 'token' | 'corsOrigins' | 'allowedHosts'> & {
  /** SWEEP_API_DATABASE_URL: the database (ideally a role that may only read) the API reads. */
  databaseUrl?: string;
};

function list(env: NodeJS.ProcessEnv, name: string): string[] {
  return (env[name] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The API settings from the environment; host and port come from flags. */
export function apiEnv(env: NodeJS.ProcessEnv = process.env): ApiEnv {
  const origins = list(env, 'SWEEP_API_CORS_ORIGINS');
  for (const origin of origins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) throw new UserError(`SWEEP_API_CORS_ORIGINS: expected origins like http://localhost:3000 (scheme and host, no path), got '${origin}'`);
  }
  const allowedHosts = list(env, 'SWEEP_API_ALLOWED_HOSTS').map((host) => host.toLowerCase());
  for (const host of allowedHosts) {
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)$/.test(host)) throw new UserError(`SWEEP_API_ALLOWED_HOSTS: expected host names like grafana.example.org (no scheme or port), got '${host}'`);
  }
  const token = env.SWEEP_API_TOKEN;
  // An empty token must not read as "no authentication wanted": it is a broken secret.
  if (token !== undefined && token.trim() === '') throw new UserError('SWEEP_API_TOKEN: set but empty; give it a secret, or unset it to serve without a token');
  const databaseUrl = env.SWEEP_API_DATABASE_URL || undefined;
  if (databaseUrl) databaseServer(databaseUrl, 'SWEEP_API_DATABASE_URL');
  return { token, corsOrigins: origins, allowedHosts, databaseUrl };
}

/** 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1' || bare === '::ffff:127.0.0.1';
}

/** Reads databaseUrl as a store that fails fast (503s) when the server is down; the migrations are its owner's. */
export async function startApi(databaseUrl: string, settings: ApiSettings): Promise<RunningApi> {
  if (!isLoopback(settings.host) && !settings.token && !settings.insecure) {
    throw new UserError(`--host ${settings.host}: anyone who can reach this address could read the results; set SWEEP_API_TOKEN, or pass --insecure to serve without a token`);
  }
  const read = await openReadSource(databaseUrl, { readOnly: true });
  try {
    const app = await buildApi({ read, ...settings, hostCheck: isLoopback(settings.host) || (settings.allowedHosts ?? []).length > 0 });
    try {
      await app.listen({ host: settings.host, port: settings.port });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'EADDRINUSE') throw new UserError(`--port: ${settings.host}:${settings.port} is already in use; pick another port`);
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UserError(`--host: cannot listen on '${settings.host}' (not an address of this machine)`);
      throw err;
    }
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : settings.port;
    const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
    return {
      url: `http://${host}:${port}`,
      async close() {
        await app.close();
        await read.close();
      },
    };
  } catch (err) {
    await read.close();
    throw err;
  }
}
