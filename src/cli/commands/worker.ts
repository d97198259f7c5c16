import os from 'node:os';
import { loadConfig } from '../../config/index.js';
import { UserError } from '../../errors.js';
import { parseBackend } from '../../train/backend-name.js';
import { startWorkers, type Queue } from '../../../workers/index.js';
import { parseCommandArgs, parsePositiveInt, printJson, type Command } from '../command.js';
import { openStack } from '../../stack/index.js';

const queueChoices: Record<string, Queue[]> = { all: ['orchestration', 'train'], orchestration: ['orchestration'], train: ['train'] };

const command: Command = {
  usage: `Usage: sweep worker [--queue all|train|orchestration] [--backend NAME] [--concurrency N] [--json]

Polls the Temporal cluster at TEMPORAL_ADDRESS (or the embedded stack) until Ctrl-C / SIGTERM.
  --queue        train: training only (GPU machines); orchestration: workflows and DB activities; all (default)
  --backend      auto (default: tfjs-node-gpu, tfjs-node, wasm, cpu - the first that loads), or one of them
  --concurrency  trials trained at once (default: 1 per GPU for tfjs-node-gpu; else the number of cores)
Every train worker must reach the same SWEEP_ARTIFACTS (a shared folder or s3://bucket/prefix) and DATABASE_URL.`,
  async run(argv) {
    const { values } = parseCommandArgs(
      'worker',
      argv,
      { queue: { type: 'string' }, backend: { type: 'string' }, concurrency: { type: 'string' }, json: { type: 'boolean' } },
      { min: 0, max: 0, names: 'no positional arguments' },
    );
    const queues = queueChoices[values.queue ?? 'all'];
    if (!queues) throw new UserError(`--queue: expected all, train or orchestration, got '${values.queue}'`);
    const backend = parseBackend(values.backend ?? 'auto');
    const concurrency = parsePositiveInt('concurrency', values.concurrency, backend === 'tfjs-node-gpu' ? 1 : os.availableParallelism());
    const config = loadConfig();
    const stack = await openStack(config, { log: (l) => console.error(l) });
    const pool = await startWorkers({ config, temporalAddress: stack.temporalAddress, databaseUrl: stack.databaseUrl, queues, concurrency, backend, trialLog: (line) => console.log(line) });
    const info = { identity: pool.identity, temporal: stack.temporalAddress, namespace: stack.namespace, queues, concurrency, backend };
    if (values.json) printJson(info);
    else console.log(`worker ${pool.identity}: ${queues.join(' + ')} queue(s), ${concurrency} training slot(s), backend ${backend}, Temporal ${stack.temporalAddress}`);
    process.once('SIGINT', () => void pool.shutdown('SIGINT')).once('SIGTERM', () => void pool.shutdown('SIGTERM'));
    try {
      await pool.done;
    } finally {
      await stack.close();
    }
    return 0;
  },
};
export default command;
