import os from 'node:os';
import { loadConfig, redact } from '../../config/index.js';
import { openStack, registerDevWorkers } from '../../stack/index.js';
import { parseBackend } from '../../train/backend-name.js';
import { startWorkers } from '../../../workers/index.js';
import { parseCommandArgs, parsePositiveInt, type Command } from '../command.js';

const command: Command = {
  usage: `Usage: sweep dev [--concurrency N] [--backend NAME] [--no-workers]

Starts (or reuses) the Temporal dev server with its Web UI and the embedded PostgreSQL under
SWEEP_HOME, plus workers for both queues, and keeps them running until Ctrl-C. While it runs,
'sweep start' in another terminal uses it (and its workers), and 'sweep start --detach' works.`,
  async run(argv) {
    const { values } = parseCommandArgs(
      'dev',
      argv,
      { concurrency: { type: 'string' }, backend: { type: 'string' }, 'no-workers': { type: 'boolean' } },
      { min: 0, max: 0, names: 'no positional arguments' },
    );
    const backend = parseBackend(values.backend ?? 'auto');
    const concurrency = parsePositiveInt('concurrency', values.concurrency, os.availableParallelism());
    const config = loadConfig();
    const stack = await openStack(config, { log: (l) => console.log(l) });
    const pool = values['no-workers']
      ? undefined
      : await startWorkers({ config, temporalAddress: stack.temporalAddress, databaseUrl: stack.databaseUrl, queues: ['orchestration', 'train'], concurrency, backend, trialLog: (line) => console.log(line) });
    if (pool) registerDevWorkers(config, process.pid);
    console.log(
      [
        '',
        'danq-sweep dev stack is up (Ctrl-C stops it):',
        `  Temporal UI:       ${stack.uiUrl ?? '(external cluster)'}`,
        `  TEMPORAL_ADDRESS=${stack.temporalAddress}  TEMPORAL_NAMESPACE=${stack.namespace}`,
        `  DATABASE_URL=${redact(stack.databaseUrl)}`,
        pool ? `  workers: ${pool.identity}, ${concurrency} training slot(s), backend ${backend}` : '  workers: none (--no-workers)',
        '',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve).once('SIGTERM', resolve);
    });
    console.log('Stopping...');
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
