import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { loadConfig } from '../../config/index.js';
import { devWorkersRunning } from '../../stack/index.js';
import { UserError } from '../../errors.js';
import { sweepWorkflow } from '../../../workflows/sweep.js';
import { SweepIdAttr, SweepNameAttr } from '../../../workflows/search-attributes.js';
import { sweepInputOf } from '../../sweep-spec/plan.js';
import { warmStartTrials } from '../../db/read-model.js';
import type { WorkerPool } from '../../../workers/index.js';
import { parseCommandArgs, parsePositiveInt, printJson, type Command } from '../command.js';
import { prepareSweep } from '../prepare.js';
import { openSession, type Session } from '../session.js';
import { sweepReport } from '../report.js';
import { followSweep, ProgressView } from '../progress.js';
import { parseBackend } from '../../train/backend-name.js';
import { trainingProcesses } from '../../train/runner.js';
import { printSweepEnd } from '../outcome.js';
import { PhaseTimings, trialPhasesTable } from '../timings.js';
import { completedTrainings } from '../sweep-history.js';
import type { TrialResult } from '../../../workflows/types.js';

// --timings rows that have parts, or that the trials' table reads.
const STACK_PHASE = 'stack start (Temporal, PostgreSQL side by side) and connect';
const WORKERS_PHASE = 'workers start (training processes warmed since the stack start)';
const RUN_PHASE = 'sweep run (the trials: see below)';

const command: Command = {
  usage: `Usage: sweep start SPEC.json [--detach] [--json] [--timings] [--concurrency N] [--backend NAME]

Validates the spec, every variant and the data (as sweep validate), then starts the sweep workflow.
Without TEMPORAL_ADDRESS it runs on the embedded stack (Temporal dev server + PostgreSQL under
SWEEP_HOME) with in-process workers, unless a 'sweep dev' already serves workers.

  --detach          return once the sweep has started (needs running workers: sweep dev / sweep worker)
  --json            print only the final result as JSON on stdout
  --timings         print where the wall time went at the end: data validation and encoding,
                    stack start, workers start, the run; then each trial phase summed over the
                    trials (process wait, backend load, model build, first step, batches,
                    validation, checkpoints, bookkeeping) and the training slots' idle time
  --concurrency N   trials trained at once by the in-process workers (default: maxConcurrentTrials, at most the cores)
  --backend NAME    in-process workers' backend: auto (default), tfjs-node-gpu, tfjs-node, wasm, cpu

Exit 0 when the sweep completed (a count of failed trials, if any, is printed), 3 when it failed
(its reason is printed), 2 for bad input, 1 when it could not run, 130 after Ctrl-C.`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(
      'start',
      argv,
      { detach: { type: 'boolean' }, json: { type: 'boolean' }, timings: { type: 'boolean' }, concurrency: { type: 'string' }, backend: { type: 'string' } },
      { min: 1, max: 1, names: 'SPEC.json' },
    );
    const backend = parseBackend(values.backend ?? 'auto');
    // From this process's start: loading Node, tsx and the modules is part of what the user waits for.
    const timings = new PhaseTimings(undefined, 0);
    timings.ran('CLI start (Node, tsx, modules)', 0);
    const config = loadConfig();
    const log = (line: string) => (values.json ? process.stderr : process.stdout).write(line + '\n');
    const { loaded, trials, dataset } = await timings.time('validate spec, variants and data (encode, cache)', () => prepareSweep(positionals[0]!, config));
    const { spec } = loaded;
    const concurrency = parsePositiveInt('concurrency', values.concurrency, Math.max(1, Math.min(spec.maxConcurrentTrials, os.availableParallelism())));

    // The in-process workers' training processes fork and load their backend while the stack starts
    // (not when a running `sweep dev` will train this sweep).
    if (!config.temporalAddress && !devWorkersRunning(config)) trainingProcesses.keepWarm(concurrency, backend);
    const sessionOpening = timings.time(STACK_PHASE, () => openSession({ config, log, onStarted: (server, ms) => timings.detail(STACK_PHASE, server, ms) }));
    // The in-process workers' modules (Temporal's worker SDK with webpack, tfjs for the model export:
    // about a third of the CLI's start) and the workflow bundle load while the servers start, not before.
    const workersLoadStarted = performance.now();
    let workersLoadMs: number | undefined;
    const workersModule = config.temporalAddress
      ? undefined
      : import('../../../workers/index.js').then(async (module) => {
          await module.workflowBundle();
          workersLoadMs = performance.now() - workersLoadStarted;
          return module;
        });
    // Awaited only where workers start; a failure surfaces there.
    workersModule?.catch(() => {});
    let session: Session | undefined;
    let workers: WorkerPool | undefined;
    const stopWorkers = async () => {
      await workers?.shutdown();
      workers = undefined;
    };
    try {
      session = await sessionOpening;
      const inProcessWorkers = !config.temporalAddress && !session.stack.workersRunning;
      if (values.detach && inProcessWorkers) {
        throw new UserError('--detach needs workers that outlive this command: run `sweep dev` (or `sweep worker` against TEMPORAL_ADDRESS) first, or drop --detach');
      }
      // Read before the workflow starts and passed in its input, so the workflow stays deterministic.
      const warmStart = await warmStartTrials(session.db, spec, dataset.fingerprint);
      // 64 random bits: a repeat is out of reach for any number of runs of one spec (24 bits repeated
      // after ~1,000); the database and Temporal each refuse one anyway instead of merging two sweeps.
      const sweepId = `sweep-${spec.name}-${randomBytes(8).toString('hex')}`;
      await session.db.createSweep({ id: sweepId, name: spec.name, spec, datasetFingerprint: dataset.fingerprint, strategy: spec.strategy.type, totalTrials: trials.length, workflowId: sweepId });
      if (inProcessWorkers) {
        const { temporalAddress, databaseUrl } = session.stack;
        workers = await timings.time(WORKERS_PHASE, async () =>
          (await workersModule!).startWorkers({ config, temporalAddress, databaseUrl, queues: ['orchestration', 'train'], concurrency, backend }),
        );
        if (workersLoadMs !== undefined) timings.detail(WORKERS_PHASE, 'worker modules and workflow bundle (cached or built; since the stack start)', workersLoadMs);
      }
      // The plan leaves here as plain JSON: the workflow never runs the planner, schema or presets.
      const input = sweepInputOf(spec, {
        sweepId,
        baseDir: loaded.baseDir,
        datasetFingerprint: dataset.fingerprint,
        seqLen: dataset.seqLen,
        trainQueue: config.taskQueues.train,
        totalTrials: trials.length,
        ...(warmStart && { warmStart }),
      });
      const handle = await session.client.workflow.start(sweepWorkflow, {
        taskQueue: config.taskQueues.orchestration,
        workflowId: sweepId,
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        args: [input],
        memo: { spec: positionals[0], trials: trials.length },
        staticSummary: `sweep ${spec.name}: ${trials.length} trial(s), ${spec.strategy.type}, up to ${spec.maxConcurrentTrials} at once`,
        typedSearchAttributes: [
          { key: SweepIdAttr, value: sweepId },
          { key: SweepNameAttr, value: spec.name },
        ],
      });
      log(`Started ${sweepId}: ${trials.length} trial(s), ${spec.strategy.type}, up to ${spec.maxConcurrentTrials} at once`);
      if (session.stack.uiUrl) log(`Temporal UI: ${session.stack.uiUrl}/namespaces/${session.stack.namespace}/workflows/${sweepId}`);
      if (values.detach) {
        if (values.json) printJson({ sweepId, status: 'running' });
        return 0;
      }

      const followed = await timings.time(RUN_PHASE, () => followSweep(handle, new ProgressView(values.json ? null : process.stdout, trials.length)));
      if (followed === 'interrupted') {
        log(
          `\nStopped watching. ${sweepId} is durable in Temporal: it continues when workers run (sweep dev / sweep worker); sweep status ${sweepId} --watch follows it again, sweep cancel ${sweepId} stops it.`,
        );
        return 130;
      }
      await timings.time('workers stop', stopWorkers);
      const report = await sweepReport(session.db, sweepId);
      let trialPhases = '';
      if (values.timings) {
        const trained = (await completedTrainings<TrialResult>(session.client, sweepId)).flatMap((r) => (r.timings ? [r.timings] : []));
        // Trials train in this many slots at once: the in-process workers' or, on other workers, the spec's limit.
        const slots = inProcessWorkers ? Math.min(concurrency, spec.maxConcurrentTrials) : spec.maxConcurrentTrials;
        trialPhases = `\n\n${trialPhasesTable(trained, slots, timings.msOf(RUN_PHASE))}`;
      }
      return printSweepEnd(report, {
        json: values.json === true,
        workflowFailure: 'failed' in followed ? followed.failed : undefined,
        afterLeaderboard: values.timings ? () => log(`\n${timings.table()}${trialPhases}`) : undefined,
      });
    } finally {
      await stopWorkers();
      // The warm training processes, also those warmed for workers that never started (a failed stack
      // or workers start, --detach refused, a `sweep dev` that started meanwhile).
      trainingProcesses.stop();
      await session?.close();
    }
  },
};
export default command;
