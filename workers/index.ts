import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { NativeConnection, Runtime, DefaultLogger, Worker, type WorkerOptions, type WorkflowBundle } from '@temporalio/worker';
import { temporalConnectionOptions, type Config } from '../src/config/index.js';
import { createActivities } from '../src/activities/index.js';
import { openDb } from '../src/db/index.js';
import { OutageReport } from '../src/outage.js';
import { canConnect, connectOrExplain, splitHostPort } from '../src/stack/net.js';
import { trainingProcesses } from '../src/train/runner.js';
import type { BackendName } from '../src/train/types.js';
import { cachedWorkflowBundle } from './workflow-bundle-cache.js';

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
  /**
   * Stops polling; running trials finish their epoch in progress (at most SHUTDOWN_GRACE_SECONDS)
   * and are retried elsewhere from that checkpoint. With a reason (the signal), says so in one line.
   */
  shutdown(reason?: string): Promise<void>;
}

/**
 * How long a train worker told to stop (SIGTERM, Ctrl-C) lets its running trials finish the epoch in
 * progress; after that they stop between batches. Either way the trial resumes on another worker
 * from its last checkpoint, losing at most the unfinished epoch.
 */
export const SHUTDOWN_GRACE_SECONDS = 60;

// A Temporal server that is down or restarting: the SDK retries, and logs each failed poll,
// heartbeat or completion as a warning. One line when the connection is lost, one when it is back.
const TEMPORAL_TROUBLE =
  /gRPC call \S+ retried|transport error|tcp connect|connection refused|connection reset|broken pipe|unavailable|error trying to connect|dns error|deadline exceeded|h2 protocol/i;

/**
 * What every worker pool of this process shares, for the life of the process: the workflow bundle
 * (built once), Temporal's Runtime (installed once, its logs through `logger`), and the Temporal
 * server last connected to, whose outages the logger reports in one line each.
 */
class WorkerProcess {
  private bundle: Promise<WorkflowBundle> | undefined;
  private runtimeInstalled = false;
  private temporal: { address: string; outage: OutageReport } | undefined;

  // Warnings and errors only, one line each: a failed trial is an expected outcome, recorded with its
  // reason, so no stack traces; minus the notice that a train-only worker polls no workflow tasks.
  readonly logger = new DefaultLogger('WARN', ({ level, message, meta }) => {
    if (message.startsWith('No workflows registered')) return;
    const error = meta?.error instanceof Error ? `: ${meta.error.message}` : meta?.error !== undefined ? `: ${String(meta.error)}` : '';
    if (this.absorbConnectionTrouble(`${message}${error}`)) return;
    const where = [meta?.activityType, meta?.workflowId].filter(Boolean).join(' ');
    console.error(`[${level}] ${message}${where ? ` (${where})` : ''}${error}`);
  });

  /**
   * The workflow bundle, on first use: from the install's cache when no input changed, else built
   * (about 1-2 s). The cache lives in node_modules/.cache, not SWEEP_HOME: it belongs to this install's
   * code, and a fresh SWEEP_HOME (benches, new users) would otherwise build it again.
   */
  workflowBundle(): Promise<WorkflowBundle> {
    this.bundle ??= cachedWorkflowBundle(
      fileURLToPath(new URL('../workflows/index.ts', import.meta.url)),
      fileURLToPath(new URL('../node_modules/.cache/danq-sweep/', import.meta.url)),
      this.logger,
    ).then(({ bundle }) => bundle);
    return this.bundle;
  }

  /** Before connecting to the Temporal server at `address`: installs the Runtime on first use; outages of `address` are reported from now on. */
  connectingTo(address: string): void {
    if (!this.runtimeInstalled) {
      // Core's own logs (gRPC retries among them) come through the logger too, instead of straight to stderr.
      Runtime.install({ logger: this.logger, telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } } });
      this.runtimeInstalled = true;
    }
    this.temporal = { address, outage: new OutageReport((line) => console.error(line)) };
  }

  /** True when the line was about the connection (reported once per outage). */
  private absorbConnectionTrouble(text: string): boolean {
    if (!TEMPORAL_TROUBLE.test(text) || !this.temporal) return false;
    const { address, outage } = this.temporal;
    if (!outage.start(() => `Temporal at ${address} is unreachable: tasks, heartbeats and results wait for it (training goes on); retrying`)) return true;
    const { host, port } = splitHostPort(address);
    const probe = setInterval(() => {
      void canConnect(host, port).then((up) => {
        if (!up || !outage.down) return;
        outage.end((seconds) => `Temporal at ${address} is back after ${seconds} s`);
        clearInterval(probe);
      });
    }, 1000);
    probe.unref();
    return true;
  }
}

const workerProcess = new WorkerProcess();

/** The workflow bundle, built or read from the cache once per process. */
export const workflowBundle = (): Promise<WorkflowBundle> => workerProcess.workflowBundle();

/**
 * Starts the Temporal workers of one process: the orchestration queue runs the sweep and trial
 * workflows and the DB activities; the train queue runs training (each trial in its own child
 * process, so this event loop stays free to poll, heartbeat and cancel).
 */
export async function startWorkers(options: WorkerPoolOptions): Promise<WorkerPool> {
  const identity = options.identity ?? `${process.pid}@${os.hostname()}`;
  const connection = await connectToTemporal(options.config, options.temporalAddress);
  const db = await openDb(options.databaseUrl);
  const draining = new AbortController();
  const activities = createActivities({ db, config: options.config, identity, backend: options.backend, trialLog: options.trialLog, draining: draining.signal });
  const queueWorker = { connection, namespace: options.config.namespace, activities, identity };
  const orchestrationWorker = options.queues.includes('orchestration') ? await createOrchestrationWorker(queueWorker, options.config) : undefined;
  const trainWorker = options.queues.includes('train') ? await createTrainWorker(queueWorker, options) : undefined;
  const workers = [orchestrationWorker, trainWorker].filter((worker) => worker !== undefined);
  const done = Promise.all(workers.map((worker) => worker.run())).then(async () => {
    if (trainWorker) trainingProcesses.stop();
    await db.close();
    await connection.close();
  });
  return {
    identity,
    done,
    async shutdown(reason) {
      if (reason && !draining.signal.aborted) console.error(`worker ${identity}: ${reason}: shutting down, polling stopped; ${whatShutdownWaitsFor(trainWorker)}`);
      draining.abort();
      for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}

/** What every worker of one pool shares. */
type QueueWorkerOptions = Pick<WorkerOptions, 'connection' | 'namespace' | 'activities' | 'identity'>;

async function connectToTemporal(config: Config, address: string): Promise<NativeConnection> {
  workerProcess.connectingTo(address);
  return connectOrExplain('the Temporal server', 'TEMPORAL_ADDRESS', address, () => NativeConnection.connect(temporalConnectionOptions(config, address)));
}

/** The sweep and trial workflows, and the activities that read and write the results DB. */
async function createOrchestrationWorker(queueWorker: QueueWorkerOptions, config: Config): Promise<Worker> {
  return Worker.create({ ...queueWorker, taskQueue: config.taskQueues.orchestration, workflowBundle: await workflowBundle() });
}

/** The training activities, `concurrency` trials at once, each on one of the warm training processes. */
async function createTrainWorker(queueWorker: QueueWorkerOptions, options: WorkerPoolOptions): Promise<Worker> {
  // One warm training process per slot, so no trial waits for Node, tsx and tfjs-node to load.
  trainingProcesses.keepWarm(options.concurrency, options.backend);
  return Worker.create({
    ...queueWorker,
    taskQueue: options.config.taskQueues.train,
    maxConcurrentActivityTaskExecutions: options.concurrency,
    shutdownGraceTime: `${SHUTDOWN_GRACE_SECONDS} seconds`,
    // Cancellation reaches an activity in a heartbeat response: without this, heartbeats are
    // throttled to 80% of the heartbeat timeout and a cancel could take ~24 s to arrive.
    maxHeartbeatThrottleInterval: '2 seconds',
  });
}

/** The operator's line when a worker is told to stop: what it still waits for before it exits. */
function whatShutdownWaitsFor(trainWorker: Worker | undefined): string {
  const trials = trainWorker?.getStatus().numInFlightActivities ?? 0;
  if (trials === 0) return 'no trial is running; it exits now';
  return `${trials} running trial(s) finish their epoch in progress (at most ${SHUTDOWN_GRACE_SECONDS} s, then they stop between batches) and resume from that checkpoint on another worker; then it exits`;
}
