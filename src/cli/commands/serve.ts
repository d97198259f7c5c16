import { loadConfig } from '../../config/index.js';
import { apiEnv, startApi } from '../../api/index.js';
import { openStack } from '../../stack/index.js';
import { parseCommandArgs, parsePort, type Command } from '../command.js';
import { version } from '../version.js';

const command: Command = {
  usage: `Usage: sweep serve [--host 127.0.0.1] [--port 8080]

Serves the read-only HTTP API over the results database (DATABASE_URL, or the embedded PostgreSQL
under SWEEP_HOME) until Ctrl-C: sweeps, trials, leaderboard, learning curves, parameter effects,
worker activity. The OpenAPI document is at /openapi.json; Grafana dashboards in infra/grafana use it.
  --host   address to bind (default 127.0.0.1: this machine only)
  --port   port (default 8080; 0 picks a free one)
Environment: SWEEP_API_TOKEN (require "Authorization: Bearer <token>"),
             SWEEP_API_CORS_ORIGINS (comma-separated browser origins allowed; default none)`,
  async run(argv) {
    const { values } = parseCommandArgs('serve', argv, { host: { type: 'string' }, port: { type: 'string' } }, { min: 0, max: 0, names: 'no positional arguments' });
    const port = parsePort(values.port, 8080);
    const host = values.host ?? '127.0.0.1';
    const env = apiEnv();
    const config = loadConfig();
    const stack = await openStack(config, { temporal: false });
    let api;
    try {
      api = await startApi(stack.databaseUrl, { host, port, ...env, version: version(), log: (line) => console.error(line) });
    } catch (err) {
      await stack.close();
      throw err;
    }
    console.log(`danq-sweep API: ${api.url}  (OpenAPI: ${api.url}/openapi.json${env.token ? '; bearer token required' : ''})`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve).once('SIGTERM', resolve);
    });
    await api.close();
    await stack.close();
    return 0;
  },
};
export default command;
