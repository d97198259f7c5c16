/** Starts the HTTP API on a results database: used by `sweep serve` and `sweep dev`. */
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
  version: string;
  log?: (line: string) => void;
}

/** The API settings from the environment (token, CORS origins); host and port come from flags. */
export function apiEnv(env: NodeJS.ProcessEnv = process.env): Pick<ApiSettings, 'token' | 'corsOrigins'> {
  const origins = (env.SWEEP_API_CORS_ORIGINS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const origin of origins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) throw new UserError(`SWEEP_API_CORS_ORIGINS: expected origins like http://localhost:3000 (scheme and host, no path), got '${origin}'`);
  }
  return { token: env.SWEEP_API_TOKEN || undefined, corsOrigins: origins };
}

export async function startApi(databaseUrl: string, settings: ApiSettings): Promise<RunningApi> {
  const read = await openReadSource(databaseUrl);
  try {
    const app = await buildApi({ read, ...settings });
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
