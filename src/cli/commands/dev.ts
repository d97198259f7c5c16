import os from 'node:os';
import { loadConfig, redact } from '../../config/index.js';
import { openStack, registerDevWorkers } from '../../stack/index.js';
import { parseBackend } from '../../train/backend-name.js';
import { startWorkers } from '../../../workers/index.js';
import { apiEnv, startApi } from '../../api/index.js';
import { parseCommandArgs, parsePort, parsePositiveInt, type Command } from '../command.js';
import { version } from '../version.js';
import { stackApiDatabaseUrl } from './serve.js';
import { isUserError } from '../../errors.js';

const command: Command = {
  usage: `Usage: sweep dev [--concurrency N] [--backend NAME] [--no-workers] [--api-port 8080] [--no-api]

Starts (or reuses) the Temporal dev server with its Web UI and the embedded PostgreSQL under
SWEEP_HOME, plus workers for both queues, and keeps them running until Ctrl-C. While it runs,
'sweep start' in another terminal uses it (and its workers), and 'sweep start --detach' works.
It also serves the HTTP API ('sweep serve --help') on 127.0.0.1:--api-port (default SWEEP_API_PORT,
else 8080; 0 picks a free port), unless --no-api.`,
  async run(argv) {
    const { values } = parseCommandArgs(
      'dev',
      argv,
      { concurrency: { type: 'string' }, backend: { type: 'string' }, 'no-workers': { type: 'boolean' }, 'api-port': { type: 'string' }, 'no-api': { type: 'boolean' } },
      { min: 0, max: 0, names: 'no positional arguments' },
    );
    const backend = parseBackend(values.backend ?? 'auto');
    const concurrency = parsePositiveInt('concurrency', values.concurrency, os.availableParallelism());
    const apiPort = parsePort(values['api-port'] ?? process.env.SWEEP_API_PORT, 8080);
    const env = apiEnv();
    const config = loadConfig();
    const stack = await openStack(config, { log: (l) => console.log(l) });
    const pool = values['no-workers']
      ? undefined
      : await startWorkers({
          config,
          temporalAddress: stack.temporalAddress,
          databaseUrl: stack.databaseUrl,
          queues: ['orchestration', 'train'],
          concurrency,
          backend,
          trialLog: (line) => console.log(line),
        });
    if (pool) registerDevWorkers(config, process.pid);
    // The stack is what dev is for: a busy API port is reported, not fatal.
    let apiProblem = '--no-api';
    const api = values['no-api']
      ? undefined
      : await startApi(env.databaseUrl ?? (await stackApiDatabaseUrl(stack)), { host: '127.0.0.1', port: apiPort, ...env, version: version(), log: (line) => console.error(line) }).catch(
          (err: unknown) => {
            if (!isUserError(err)) throw err;
            apiProblem = err.message.replace(/^--port/, '--api-port');
            return undefined;
          },
        );
    console.log(
      [
        '',
        'danq-sweep dev stack is up (Ctrl-C stops it):',
        `  Temporal UI:       ${stack.uiUrl ?? '(external cluster)'}`,
        `  TEMPORAL_ADDRESS=${stack.temporalAddress}  TEMPORAL_NAMESPACE=${stack.namespace}`,
        `  DATABASE_URL=${redact(stack.databaseUrl)}`,
        api ? `  API:               ${api.url}  (OpenAPI: ${api.url}/openapi.json${env.token ? '; bearer token required' : ''})` : `  API:               not started (${apiProblem})`,
        pool ? `  workers: ${pool.identity}, ${concurrency} training slot(s), backend ${backend}` : '  workers: none (--no-workers)',
        '',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve).once('SIGTERM', resolve);
    });
    console.log('Stopping...');
    await api?.close();
    if (pool) {
      registerDevWorkers(config, undefined);
      await pool.shutdown();
    }
    await stack.close();
    console.log('Stopped.');
    return 0;
  },
};
export default command;
