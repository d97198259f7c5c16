import os from 'node:os';
import { WorkflowIdReusePolicy, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { UserError } from '../../errors.js';
import { LEADERBOARD_SIZE, sweepWorkflow, trialWorkflowId } from '../../../workflows/sweep.js';
import { SweepIdAttr, SweepNameAttr } from '../../../workflows/search-attributes.js';
import type { BestSoFar, MeasuredEntry, RetriedTrial, SweepCarry, SweepInput } from '../../../workflows/types.js';
import { pickBest, rankingOf, rankTrials, sweepStrategy, topCandidates, type Params, type StrategySetup } from '../../strategy/index.js';
import { isFinishedTrialStatus, type TerminalTrialStatus } from '../../domain/status.js';
import type { SweepRow, TrialRow } from '../../db/types.js';
import { startWorkers, workflowBundle, type WorkerPool } from '../../../workers/index.js';
import { parseCommandArgs, parsePositiveInt, printJson, type Command } from '../command.js';
import { openSession } from '../session.js';
import { sweepReport } from '../report.js';
import { followSweep, ProgressView } from '../progress.js';
import { parseBackend } from '../../train/backend-name.js';
import { printSweepEnd } from '../outcome.js';

const command: Command = {
  usage: `Usage: sweep retry SWEEP_ID [--detach] [--json] [--concurrency N] [--backend NAME]

Re-runs what did not finish of a failed or cancelled sweep (or of a completed one with failed trials):
its failed and cancelled trials, each resuming from its checkpoint under SWEEP_ARTIFACTS, and for
grid and random sweeps the planned trials that never started; then picks the best model over every
finished trial and exports it. Completed trials are never run again. The sweep row goes back to
running, then to its new outcome; the trials' attempts keep counting. The retry is its own workflow,
SWEEP_ID-retry-N.

  --detach          return once the retry has started (needs running workers: sweep dev / sweep worker)
  --json            print only the final result as JSON on stdout
  --concurrency N   trials trained at once by the in-process workers (default: maxConcurrentTrials, at most the cores)
  --backend NAME    in-process workers' backend: auto (default), tfjs-node-gpu, tfjs-node, wasm, cpu

Exit 0 when the sweep completed, 3 when it failed again (its reason is printed), 2 for a sweep that
is unknown, still running or paused, or has nothing to retry, 1 when it could not run, 130 after Ctrl-C.`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(
      'retry',
      argv,
      { detach: { type: 'boolean' }, json: { type: 'boolean' }, concurrency: { type: 'string' }, backend: { type: 'string' } },
      { min: 1, max: 1, names: 'SWEEP_ID' },
    );
    const sweepId = positionals[0]!;
    const backend = parseBackend(values.backend ?? 'auto');
    const log = (line: string) => (values.json ? process.stderr : process.stdout).write(line + '\n');
    const session = await openSession({ log });
    const { config, db, client } = session;
    if (!config.temporalAddress) workflowBundle().catch(() => {});
    let workers: WorkerPool | undefined;
    const stopWorkers = async () => {
      await workers?.shutdown();
      workers = undefined;
    };
    try {
      const sweep = await db.getSweep(sweepId);
      if (!sweep) throw new UserError(`SWEEP_ID: no sweep '${sweepId}' (sweep list shows the sweeps)`);
      if (sweep.status === 'running' || sweep.status === 'paused') {
        throw new UserError(`SWEEP_ID: sweep '${sweepId}' is ${sweep.status}; only a failed, cancelled or completed sweep can be retried (sweep cancel ${sweepId} stops it)`);
      }
      const original = await originalInput(client, sweep);
      const rows = await db.listTrials(sweepId);
      const retried = trialsToRetry(original.setup, rows);
      if (retried.length === 0) throw new UserError(`SWEEP_ID: sweep '${sweepId}' is ${sweep.status} with nothing to retry: every trial finished`);
      const inProcessWorkers = !config.temporalAddress && !session.stack.workersRunning;
      if (values.detach && inProcessWorkers) {
        throw new UserError('--detach needs workers that outlive this command: run `sweep dev` (or `sweep worker` against TEMPORAL_ADDRESS) first, or drop --detach');
      }
      const workflowId = await nextRetryWorkflowId(client, sweepId);
      const input: SweepInput = { ...original, carried: carryOfFinished(original.setup, rows), retry: retried };
      if (
        !(await db.reopenSweep(
          sweepId,
          retried.map((t) => trialWorkflowId(sweepId, t.trial)),
        ))
      ) {
        throw new UserError(`SWEEP_ID: sweep '${sweepId}' changed status meanwhile; look again with sweep status ${sweepId}`);
      }
      let handle;
      try {
        if (inProcessWorkers) {
          const concurrency = parsePositiveInt('concurrency', values.concurrency, Math.max(1, Math.min(original.maxConcurrentTrials, os.availableParallelism())));
          workers = await startWorkers({ config, temporalAddress: session.stack.temporalAddress, databaseUrl: session.stack.databaseUrl, queues: ['orchestration', 'train'], concurrency, backend });
        }
        handle = await client.workflow.start(sweepWorkflow, {
          taskQueue: config.taskQueues.orchestration,
          workflowId,
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          args: [input],
          staticSummary: `retry of sweep ${sweepId}: trial(s) ${retried.map((t) => t.trial).join(', ')}`,
          typedSearchAttributes: [
            { key: SweepIdAttr, value: sweepId },
            { key: SweepNameAttr, value: sweep.name },
          ],
        });
      } catch (err) {
        // Nothing runs: the sweep row goes back to the outcome it had.
        await db.finishSweep(sweepId, { status: sweep.status, bestTrialId: sweep.bestTrialId, failureReason: sweep.failureReason });
        throw err;
      }
      log(`Retrying ${sweepId} as ${workflowId}: trial(s) ${retried.map((t) => t.trial).join(', ')}`);
      if (session.stack.uiUrl) log(`Temporal UI: ${session.stack.uiUrl}/namespaces/${session.stack.namespace}/workflows/${workflowId}`);
      if (values.detach) {
        if (values.json) printJson({ sweepId, workflowId, status: 'running', trials: retried.map((t) => t.trial) });
        return 0;
      }
      const followed = await followSweep(handle, new ProgressView(values.json ? null : process.stdout, original.totalTrials));
      if (followed === 'interrupted') {
        log(`\nStopped watching. ${workflowId} is durable in Temporal: it continues when workers run (sweep dev / sweep worker); sweep cancel ${workflowId} stops it.`);
        return 130;
      }
      await stopWorkers();
      const report = await sweepReport(db, sweepId);
      return printSweepEnd(report, { json: values.json === true, workflowFailure: 'failed' in followed ? followed.failed : undefined });
    } finally {
      await stopWorkers();
      await session.close();
    }
  },
};
export default command;

/** The sweep workflow's input as `sweep start` gave it (the plan, training, queues), from the first event of its latest run. */
async function originalInput(client: Client, sweep: SweepRow): Promise<SweepInput> {
  try {
    const history = await client.workflow.getHandle(sweep.workflowId).fetchHistory();
    const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    if (payload) {
      const { carried: _, retry: __, ...input } = client.options.loadedDataConverter.payloadConverter.fromPayload<SweepInput>(payload);
      return input;
    }
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  throw new UserError(`SWEEP_ID: the Temporal history of sweep '${sweep.id}' (workflow ${sweep.workflowId}) is gone (past the namespace's retention): it cannot be retried`);
}

/** The first free `SWEEP_ID-retry-N`. */
async function nextRetryWorkflowId(client: Client, sweepId: string): Promise<string> {
  for (let n = 1; ; n++) {
    const workflowId = `${sweepId}-retry-${n}`;
    try {
      await client.workflow.getHandle(workflowId).describe();
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return workflowId;
      throw err;
    }
  }
}

/**
 * Every trial that did not finish, by number: those with a row that is not completed or
 * early-stopped (failed, cancelled, or left running by a terminated workflow), and for grid and
 * random sweeps, whose plan does not depend on results, the planned trials that never started.
 */
export function trialsToRetry(setup: StrategySetup, rows: readonly TrialRow[]): RetriedTrial[] {
  const byNumber = new Map(rows.map((row) => [row.number, row]));
  const retried = new Map<number, RetriedTrial>();
  for (const row of rows) {
    if (isFinishedTrialStatus(row.status)) continue;
    retried.set(row.number, { trial: row.number, params: row.params as Params, untilEpoch: row.variant.epochs, attemptsBefore: row.attempts });
  }
  for (const planned of plannedTrials(setup)) {
    if (!byNumber.has(planned.trial)) retried.set(planned.trial, { ...planned, attemptsBefore: 0 });
  }
  return [...retried.values()].sort((a, b) => a.trial - b.trial);
}

/** Grid and random sweeps: every trial the strategy plans, as the workflow numbers them; none for strategies that adapt to results. */
function plannedTrials(setup: StrategySetup): { trial: number; params: Params; untilEpoch: number }[] {
  if (setup.strategy.type !== 'grid' && setup.strategy.type !== 'random') return [];
  const planned: { trial: number; params: Params; untilEpoch: number }[] = [];
  let state = sweepStrategy.initial(setup);
  for (;;) {
    const next = sweepStrategy.next(state);
    if (next.decision.kind !== 'start') return planned;
    const { trial, params, untilEpoch } = next.decision;
    planned.push({ trial, params, untilEpoch });
    state = sweepStrategy.report(next.state, { trial, status: 'completed', epochsTrained: untilEpoch, objectiveByEpoch: [] });
  }
}

/** What the sweep's finished trials already gave, as the workflow carries it: their counts, the best so far and the leaderboard. */
export function carryOfFinished(setup: StrategySetup, rows: readonly TrialRow[]): SweepCarry {
  const counts: Record<TerminalTrialStatus, number> = { completed: 0, 'early-stopped': 0, failed: 0, cancelled: 0 };
  const measured: MeasuredEntry[] = [];
  for (const row of rows) {
    if (!isFinishedTrialStatus(row.status)) continue;
    counts[row.status]++;
    if (row.bestValAuc === null || !Number.isFinite(row.bestValAuc)) continue;
    measured.push({
      trial: row.number,
      trialId: row.id,
      valAuc: row.bestValAuc,
      bestEpoch: row.bestEpoch ?? 0,
      paramCount: row.paramCount ?? 0,
      params: row.params as Params,
      metrics: { valAuc: row.bestValAuc, valPrAuc: row.bestValPrAuc, valLoss: row.bestValLoss, params: row.paramCount ?? 0, inferenceMsPer1k: row.inferenceMsPer1k, trainSeconds: row.trainSeconds },
    });
  }
  const base = { strategy: sweepStrategy.initial(setup), paused: false, counts, trialRuns: 0 };
  const ranking = rankingOf(setup);
  const candidates: BestSoFar[] = measured.map(({ metrics: _, ...entry }) => entry);
  if (ranking) {
    const order = rankTrials(measured, ranking.objectives, ranking.constraints).map(({ entry: { metrics: _, ...best } }) => best);
    return { ...base, best: order[0], leaderboard: order.slice(0, LEADERBOARD_SIZE), measured };
  }
  return { ...base, best: pickBest(candidates), leaderboard: topCandidates(candidates, LEADERBOARD_SIZE) };
}
