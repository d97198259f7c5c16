import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Runtime, DefaultLogger, Worker, bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Config } from '../src/config/index.js';
import { createActivities } from '../src/activities/index.js';
import { openDb } from '../src/db/index.js';
import { connectOrExplain } from '../src/stack/net.js';
import { keepTrainingProcessesWarm, stopTrainingProcesses } from '../src/train/runner.js';
import type { BackendName } from '../src/train/types.js';

export type Queue = 'orchestration' | 'train';

export interface WorkerPoolOptions {
  config: Config;
  temporalAddress: string;
  databaseUrl: string;
  queues: readonly Queue[];
  /** Trials trained at once by this process (one per GPU on GPU workers; cores on CPU). */
  concurrency: number;
  backend: BackendName | 'auto';
  identity?: string;
  /** Training processes' log lines, prefixed with the trial id (the CLI's own sweep view leaves it out). */
  trialLog?: (line: string) => void;
}

export interface WorkerPool {
  identity: string;
  /** Resolves when every worker has stopped; rejects if one fails. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** The workflow bundle, built once per process (about 1-2 s). */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)), logger: quietLogger });
  return bundle;
}

// Warnings and errors only, one line each: a failed trial is an expected outcome, recorded with its
// reason, so no stack traces; minus the notice that a train-only worker polls no workflow tasks.
const quietLogger = new DefaultLogger('WARN', ({ level, message, meta }) => {
  if (message.startsWith('No workflows registered')) return;
  const error = meta?.error instanceof Error ? `: ${meta.error.message}` : '';
  const where = [meta?.activityType, meta?.workflowId].filter(Boolean).join(' ');
  console.error(`[${level}] ${message}${where ? ` (${where})` : ''}${error}`);
});
let runtimeInstalled = false;

/**
 * Starts the Temporal workers of one process: the orchestration queue runs the sweep and trial
 * workflows and the DB activities; the train queue runs training (each trial in its own child
 * process, so this event loop stays free to poll, heartbeat and cancel).
 */
export async function startWorkers(options: WorkerPoolOptions): Promise<WorkerPool> {
  if (!runtimeInstalled) {
    Runtime.install({ logger: quietLogger });
    runtimeInstalled = true;
  }
  const identity = options.identity ?? `${process.pid}@${os.hostname()}`;
  const connection = await connectOrExplain('the Temporal server', 'TEMPORAL_ADDRESS', options.temporalAddress, () => NativeConnection.connect({ address: options.temporalAddress }));
  const db = await openDb(options.databaseUrl);
  const activities = createActivities({ db, config: options.config, identity, backend: options.backend, trialLog: options.trialLog });
  const workers: Worker[] = [];
  if (options.queues.includes('orchestration')) {
    workers.push(
      await Worker.create({
        connection,
        namespace: options.config.namespace,
        taskQueue: options.config.taskQueues.orchestration,
        workflowBundle: await workflowBundle(),
        activities,
        identity,
      }),
    );
  }
  if (options.queues.includes('train')) {
    // One warm training process per slot, so no trial waits for Node, tsx and tfjs to load.
    keepTrainingProcessesWarm(options.concurrency);
    workers.push(
      await Worker.create({
        connection,
        namespace: options.config.namespace,
        taskQueue: options.config.taskQueues.train,
        activities,
        identity,
        maxConcurrentActivityTaskExecutions: options.concurrency,
        shutdownGraceTime: '10 seconds',
        // Cancellation reaches an activity in a heartbeat response: without this, heartbeats are
        // throttled to 80% of the heartbeat timeout and a cancel could take ~24 s to arrive.
        maxHeartbeatThrottleInterval: '2 seconds',
      }),
    );
  }
  const done = Promise.all(workers.map((w) => w.run())).then(async () => {
    if (options.queues.includes('train')) stopTrainingProcesses();
    await db.close();
    await connection.close();
  });
  return {
    identity,
    done,
    async shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await done;
    },
  };
}
