import os from 'node:os';
import type { Client } from '@temporalio/client';
import { loadConfig } from '../../config/index.js';
import { startWorkers, type WorkerPool } from '../../../workers/index.js';
import { openDb } from '../../db/index.js';
import { openReadSource, type ReadSource } from '../../db/read-model.js';
import { openStack } from '../../stack/index.js';
import { parseCommandArgs, printJson, type Command } from '../command.js';
import { sweepReport, table, type SweepReport } from '../report.js';
import { followSweep, ProgressView } from '../progress.js';
import { withSession } from '../session.js';
import type { sweepWorkflow } from '../../../workflows/sweep.js';
import type { ResultsStore } from '../../db/types.js';
import { UserError } from '../../errors.js';
import { printSweepEnd } from '../outcome.js';

/** These commands read PostgreSQL only (the record of truth), so they work while Temporal is down. */
export function withDb<T>(fn: (db: ResultsStore) => Promise<T>): Promise<T> {
  return withOpened(openDb, fn);
}

/** The read model's views (src/db/read-model.ts) over the configured database. */
export function withReadSource<T>(fn: (src: ReadSource) => Promise<T>): Promise<T> {
  return withOpened(openReadSource, fn);
}

async function withOpened<S extends { close(): Promise<void> }, T>(open: (databaseUrl: string) => Promise<S>, fn: (opened: S) => Promise<T>): Promise<T> {
  const stack = await openStack(loadConfig(), { temporal: false });
  try {
    const opened = await open(stack.databaseUrl);
    try {
      return await fn(opened);
    } finally {
      await opened.close();
    }
  } finally {
    await stack.close();
  }
}

export const status: Command = {
  usage: `Usage: sweep status SWEEP_ID [--json] [--watch]

The sweep and its trials as recorded in PostgreSQL, ranked by validation ROC AUC (with several
objectives or constraints: by Pareto rank, then the first objective, with each trial's costs and the front).
  --watch   follow a running sweep's progress (as sweep start does) until it ends, then print the table;
            Ctrl-C stops watching, not the sweep
Exit 0, or 3 when the sweep failed (its recorded reason is printed); failed trials are counted.`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs('status', argv, { json: { type: 'boolean' }, watch: { type: 'boolean' } }, { min: 1, max: 1, names: 'SWEEP_ID' });
    const sweepId = positionals[0]!;
    const { report, workflowFailure } = values.watch ? await watch(sweepId, !values.json) : { report: await withDb((db) => sweepReport(db, sweepId)), workflowFailure: undefined };
    return printSweepEnd(report, { json: values.json === true, workflowFailure });
  },
};

async function watch(sweepId: string, show: boolean): Promise<{ report: SweepReport; workflowFailure: string | undefined }> {
  return withSession(async ({ client, db, stack, config }) => {
    const sweep = await db.getSweep(sweepId);
    if (!sweep) throw new UserError(`SWEEP_ID: no sweep '${sweepId}' in the database (sweep list shows the sweeps)`);
    let workers: WorkerPool | undefined;
    let workflowFailure: string | undefined;
    try {
      if (sweep.status === 'running' || sweep.status === 'paused') {
        if (!config.temporalAddress && !stack.workersRunning) {
          // Nothing else can serve the embedded stack (its `sweep start` was stopped): serve it here.
          const concurrency = Math.max(1, Math.min((sweep.spec as { maxConcurrentTrials?: number }).maxConcurrentTrials ?? 1, os.availableParallelism()));
          console.error(`No \`sweep dev\` serves this embedded stack: running the sweep's workers in this process until it ends (Ctrl-C stops them; the sweep waits, durable).`);
          workers = await startWorkers({ config, temporalAddress: stack.temporalAddress, databaseUrl: stack.databaseUrl, queues: ['orchestration', 'train'], concurrency, backend: 'auto' });
        } else if (show && !(await hasPollers(client, stack.namespace, config.taskQueues.orchestration))) {
          console.error(`Note: no worker polls task queue '${config.taskQueues.orchestration}' at ${stack.temporalAddress}: the sweep waits until one runs (sweep worker).`);
        }
        const outcome = await followSweep(client.workflow.getHandle<typeof sweepWorkflow>(sweep.workflowId), new ProgressView(show ? process.stdout : null, sweep.totalTrials));
        if (typeof outcome === 'object' && 'failed' in outcome) workflowFailure = outcome.failed;
        if (outcome === 'interrupted') console.error(`\nStopped watching ${sweepId}; it goes on${workers ? ' when workers run (sweep dev, or sweep status --watch again)' : ''}.`);
      }
    } finally {
      await workers?.shutdown();
    }
    return { report: await sweepReport(db, sweepId), workflowFailure };
  });
}

/** temporal.api.enums.v1.TaskQueueType (@temporalio/proto is not a direct dependency). */
const TASK_QUEUE_TYPE_WORKFLOW = 1;

/** Whether any worker polled the queue's workflow tasks lately (Temporal keeps pollers for about a minute). */
async function hasPollers(client: Client, namespace: string, taskQueue: string): Promise<boolean> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- the enum lives in @temporalio/proto, not a runtime dependency
    const { pollers } = await client.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue }, taskQueueType: TASK_QUEUE_TYPE_WORKFLOW });
    return pollers.length > 0;
  } catch {
    return true; // cannot tell: say nothing
  }
}

export const list: Command = {
  usage: 'Usage: sweep list [--json]\n\nEvery sweep in the database, newest first.',
  async run(argv) {
    const { values } = parseCommandArgs('list', argv, { json: { type: 'boolean' } }, { min: 0, max: 0, names: 'no positional arguments' });
    const sweeps = await withDb((db) => db.listSweeps());
    const rows = sweeps.map((s) => ({ sweepId: s.id, name: s.name, status: s.status, strategy: s.strategy, trials: s.totalTrials, bestTrialId: s.bestTrialId, createdAt: s.createdAt.toISOString() }));
    if (values.json) printJson(rows);
    else if (rows.length === 0) console.log('No sweeps yet: sweep start SPEC.json');
    else
      console.log(
        table(
          ['sweep', 'status', 'strategy', 'trials', 'created'],
          rows.map((r) => [r.sweepId, r.status, r.strategy, String(r.trials), r.createdAt]),
        ),
      );
    return 0;
  },
};

export const best: Command = {
  usage:
    'Usage: sweep best SWEEP_ID [--json]\n\nThe best trial (highest validation ROC AUC at its best epoch; tie: fewer parameters, then the earlier trial; with several objectives or constraints: the best on the first objective of the Pareto front) and its exported model.',
  async run(argv) {
    const { values, positionals } = parseCommandArgs('best', argv, { json: { type: 'boolean' } }, { min: 1, max: 1, names: 'SWEEP_ID' });
    const report = await withDb((db) => sweepReport(db, positionals[0]!));
    if (!report.best) throw new UserError(`${report.sweepId} has no best trial yet (status ${report.status})`);
    if (values.json) printJson(report.best);
    else {
      console.log(`${report.best.trialId}: val ROC AUC ${report.best.valAuc.toFixed(4)} at epoch ${report.best.epoch}`);
      console.log(`params: ${JSON.stringify(report.best.params)}`);
      console.log(`model:  ${report.best.modelPath ?? '(not exported yet: the sweep is still running)'}`);
    }
    return 0;
  },
};
