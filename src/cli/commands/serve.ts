import { loadConfig } from '../../config/index.js';
import { apiEnv, startApi } from '../../api/index.js';
import { openDb } from '../../db/index.js';
import { openStack, type Stack } from '../../stack/index.js';
import { parseCommandArgs, parsePort, type Command } from '../command.js';
import { version } from '../version.js';

/**
 * The database the API reads without SWEEP_API_DATABASE_URL: the embedded PostgreSQL's read-only
 * role, else DATABASE_URL. The read-only role may not migrate, so the owner applies the migrations first.
 */
export async function stackApiDatabaseUrl(stack: Stack): Promise<string> {
  if (!stack.readerDatabaseUrl) return stack.databaseUrl;
  await (await openDb(stack.databaseUrl)).close();
  return stack.readerDatabaseUrl;
}

const command: Command = {
  usage: `Usage: sweep serve [--host 127.0.0.1] [--port 8080] [--insecure]

Serves the read-only HTTP API over the results database (DATABASE_URL, or the embedded PostgreSQL
under SWEEP_HOME) until Ctrl-C: sweeps, trials, leaderboard, learning curves, parameter effects,
worker activity. The OpenAPI document is at /openapi.json; Grafana dashboards in infra/grafana use it.
  --host       address to bind (default 127.0.0.1: this machine only); another address needs
               SWEEP_API_TOKEN, or --insecure
  --port       port (default 8080; 0 picks a free one)
  --insecure   serve a non-loopback --host without a token
Environment: SWEEP_API_TOKEN (require "Authorization: Bearer <token>"; empty is an error),
             SWEEP_API_CORS_ORIGINS (comma-separated browser origins allowed; default none),
             SWEEP_API_ALLOWED_HOSTS (comma-separated Host names accepted besides localhost,
               127.0.0.1 and [::1]; a loopback API refuses others, against DNS rebinding),
             SWEEP_API_DATABASE_URL (the database to read, ideally as a role that may only read;
               default: the embedded PostgreSQL's read-only role, else DATABASE_URL)`,
  async run(argv) {
    const { values } = parseCommandArgs('serve', argv, { host: { type: 'string' }, port: { type: 'string' }, insecure: { type: 'boolean' } }, { min: 0, max: 0, names: 'no positional arguments' });
    const port = parsePort(values.port, 8080);
    const host = values.host ?? '127.0.0.1';
    const env = apiEnv();
    const config = loadConfig();
    const stack = env.databaseUrl ? undefined : await openStack(config, { temporal: false });
    let api;
    try {
      api = await startApi(env.databaseUrl ?? (await stackApiDatabaseUrl(stack!)), { host, port, ...env, insecure: values.insecure, version: version(), log: (line) => console.error(line) });
    } catch (err) {
      await stack?.close();
      throw err;
    }
    console.log(`danq-sweep API: ${api.url}  (OpenAPI: ${api.url}/openapi.json${env.token ? '; bearer token required' : ''})`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve).once('SIGTERM', resolve);
    });
    await api.close();
    await stack?.close();
    return 0;
  },
};
export default command;
