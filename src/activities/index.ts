/**
 * Temporal activities: thin adapters from workflow steps to the domain modules (db, data, train).
 * Every write is idempotent, so a retried activity never duplicates or regresses a row.
 */
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { TemporalFailure } from '@temporalio/common';
import { joinLocation, openArtifactStore, waitingOutFullDisk } from '../artifacts/index.js';
import type { Config } from '../config/index.js';
import type { ResultsStore } from '../db/types.js';
import { prepareDatasetCached, verifyFingerprint } from '../data/index.js';
import type { DatasetManifest } from '../data/types.js';
import { isUserError } from '../errors.js';
import { checkedVariantOf, variantOf } from '../sweep-spec/plan.js';
import { exportedDataset, exportModel } from '../train/export.js';
import { runTraining, type TrainingStarted } from '../train/runner.js';
import { objectiveOf } from '../strategy/objective.js';
import type { Params } from '../strategy/index.js';
import type { BackendName, EpochMetrics, TrainResult } from '../train/types.js';
import type { VariantConfig } from '../model/config.js';
import type { BaseModel, DatasetRef, TrialInput, TrialResult } from '../../workflows/types.js';
import { finiteOrNull } from '../domain/metrics.js';
import type { SweepStatus, TerminalSweepStatus } from '../domain/status.js';
import { idProblem } from '../domain/ids.js';
import { DatasetMismatchError, InvalidIdError, InvalidVariantError, isPermanentErrorType } from '../domain/permanent-errors.js';

export interface ActivityDeps {
  db: ResultsStore;
  config: Config;
  /** Worker identity stored with each trial and epoch. */
  identity: string;
  /** This worker's backend choice; a spec's explicit `training.backend` overrides 'auto'. */
  backend: BackendName | 'auto';
  /** Where training processes' log lines go (e.g. which backend runs); dropped when absent. */
  trialLog?: (line: string) => void;
  /** Where warnings go that the operator must see, such as a full disk (default stderr). */
  warn?: (line: string) => void;
  /** Aborted when the worker starts shutting down: training stops after the epoch in progress. */
  draining?: AbortSignal;
}

/** Where a trial's checkpoint lives: under SWEEP_ARTIFACTS (a shared directory or S3), which every train worker reaches. */
export const checkpointDir = (config: Config, sweepId: string, trialId: string) => joinLocation(config.artifactsDir, safeId('sweep id', sweepId), safeId('trial id', trialId), 'checkpoint');
export const bestModelDir = (config: Config, sweepId: string) => joinLocation(config.modelsDir, safeId('sweep id', sweepId), 'best');

/** Ids from a workflow input become paths: one that could leave its directory fails the activity for good. */
function safeId(what: 'sweep id' | 'trial id', id: string): string {
  const problem = idProblem(what, id);
  if (problem) throw new InvalidIdError(problem);
  return id;
}

/** What a running trial's activity watches: the heartbeat, cancellation and the worker's shutdown, all of which stop training. */
interface TrainingWatch {
  /** Aborted on cancellation at once, or on worker shutdown after the epoch in progress: training stops between batches. */
  signal: AbortSignal;
  noteEpoch(epoch: number): void;
  lastEpoch(): number;
  heartbeat(): void;
  stopIfDraining(): void;
  dispose(): void;
}

function watchTraining(ctx: Context, draining: AbortSignal | undefined): TrainingWatch {
  let lastEpoch = 0;
  const stop = new AbortController();
  const cancelled = () => stop.abort();
  ctx.cancellationSignal.addEventListener('abort', cancelled, { once: true });
  // Heartbeat on a timer as well as per epoch: preparing a large dataset on a new worker, or one
  // epoch, can outlast the heartbeat timeout, and the heartbeat is how cancellation reaches the
  // activity. None at the start or after the last epoch: each is a write on the Temporal server,
  // and a short trial would otherwise pay for one that carries nothing.
  const beat = setInterval(() => ctx.heartbeat({ epoch: lastEpoch }), 5_000);
  return {
    signal: stop.signal,
    noteEpoch: (epoch) => {
      lastEpoch = epoch;
    },
    lastEpoch: () => lastEpoch,
    heartbeat: () => ctx.heartbeat({ epoch: lastEpoch }),
    stopIfDraining: () => {
      if (draining?.aborted) stop.abort();
    },
    dispose: () => {
      clearInterval(beat);
      ctx.cancellationSignal.removeEventListener('abort', cancelled);
    },
  };
}

/** The result of a trial that trained to its end (or its early stop), as the workflow and the trial row take it. */
function trialResultOf(input: TrialInput, trained: TrainResult, worker: string): TrialResult {
  const bestEpoch = trained.epochs[trained.bestEpoch - 1];
  return {
    sweepId: input.sweepId,
    trial: input.trial,
    trialId: input.trialId,
    status: trained.status,
    epochsTrained: trained.epochs.length,
    bestEpoch: trained.bestEpoch,
    bestValAuc: finiteOrNull(trained.bestValAuc),
    paramCount: trained.params,
    bestValPrAuc: finiteOrNull(bestEpoch?.valPrAuc ?? Number.NaN),
    bestValLoss: finiteOrNull(bestEpoch?.valLoss ?? Number.NaN),
    inferenceMsPer1k: trained.inferenceMsPer1k,
    trainSeconds: trained.epochs.reduce((sum, e) => sum + e.seconds, 0),
    params: input.params,
    objectiveByEpoch: trained.epochs.map((e) => finiteOrNull(objectiveOf(input.training.objective.metric, e))),
    backend: trained.backend,
    epochs: trained.epochs,
    worker,
  };
}

/**
 * An activity's error as the workflow sees it: typed by the error's name (Temporal would take its
 * class name; a TrainingError carries the training process's error name), and non-retryable when
 * that type is a permanent one, as the retry policies also say.
 */
function activityFailureOf(err: unknown): unknown {
  if (!(err instanceof Error) || err instanceof TemporalFailure) return err;
  const cause = err.cause instanceof Error ? err.cause : undefined;
  const failure = ApplicationFailure.create({ message: err.message, type: err.name, nonRetryable: isPermanentErrorType(err.name), cause });
  failure.stack = err.stack ?? '';
  return failure;
}

/** The activities with their errors mapped by activityFailureOf. */
function failingByType<A extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: A): A {
  const wrapped = Object.entries(activities).map(([name, activity]) => [
    name,
    async (...args: never[]) => {
      try {
        return await activity(...args);
      } catch (err) {
        throw activityFailureOf(err);
      }
    },
  ]);
  return Object.fromEntries(wrapped) as A;
}

/** Everything an activity needs: the deps with their defaults filled in, and the datasets this worker has verified. */
interface ActivityContext extends ActivityDeps {
  warn: (line: string) => void;
  datasetFor: (ref: DatasetRef) => Promise<DatasetManifest>;
}

/**
 * A sweep's dataset on this worker, checked against the sweep's fingerprint. Manifests already
 * checked are remembered: prepareDatasetCached hands back the same object while the files' size
 * and mtime are unchanged, so a trial re-checks nothing.
 */
function verifiedDatasets(config: Config, identity: string): (ref: DatasetRef) => Promise<DatasetManifest> {
  const verified = new WeakMap<DatasetManifest, string>();
  return async (ref) => {
    const manifest = await prepareDatasetCached(ref.spec, { seqLen: ref.seqLen, baseDir: ref.baseDir, cacheDir: config.cacheDir });
    if (verified.get(manifest) === ref.fingerprint) return manifest;
    try {
      verifyFingerprint(manifest, ref.fingerprint);
    } catch (err) {
      if (isUserError(err)) throw new DatasetMismatchError(`on worker ${identity}: ${err.message}`);
      throw err;
    }
    verified.set(manifest, ref.fingerprint);
    return manifest;
  };
}

async function finishTrial(db: ResultsStore, result: TrialResult): Promise<void> {
  await db.finishTrial(result.trialId, {
    status: result.status,
    epochsTrained: result.epochsTrained,
    bestEpoch: result.bestEpoch || null,
    bestValAuc: result.bestValAuc,
    failureReason: result.failureReason ?? null,
    paramCount: result.paramCount || undefined,
    inferenceMsPer1k: result.inferenceMsPer1k,
    trainSeconds: result.trainSeconds,
    epochs: result.epochs,
    worker: result.worker,
  });
}

/**
 * The whole trial in one activity: records its start (one idempotent upsert), trains, records
 * every epoch and the result. A retry after any of these writes finds them done: the trial row
 * ignores transitions out of a terminal status and training resumes from the checkpoint.
 */
async function trainTrial(act: ActivityContext, input: TrialInput): Promise<TrialResult> {
  const activityStarted = performance.now();
  const ctx = Context.current();
  const checkpoint = checkpointDir(act.config, input.sweepId, input.trialId);
  const { variant, problems } = checkedVariantOf(input.training.model, input.params);
  // The row is written when training starts (markTrialRunning creates it if missing); a trial
  // that fails before that is recorded by the workflow (recordTrialResult).
  if (problems.length > 0) throw new InvalidVariantError(`invalid variant for params ${JSON.stringify(input.params)}: ${problems.join('; ')}`);
  // A retried sweep's trial keeps counting the attempts of its earlier runs.
  const attempt = ctx.info.attempt + (input.attemptsBefore ?? 0);
  const watch = watchTraining(ctx, act.draining);
  try {
    const { trained, trainingStarted } = await train(act, { input, variant, checkpoint, attempt, watch });
    const trainingMs = performance.now() - trainingStarted;
    if (trained.status === 'cancelled') throw stoppedFailure(act, ctx, watch.lastEpoch());
    const result = trialResultOf(input, trained, act.identity);
    await finishTrial(act.db, result);
    await clearLeftovers(act, input);
    // The epochs are in the database; the workflow's history needs only the summary.
    const timings = { activity: performance.now() - activityStarted, dataset: trainingStarted - activityStarted, training: trainingMs, phases: trained.phaseMs };
    return { ...result, epochs: undefined, timings };
  } catch (err) {
    // The row counts Temporal's attempts, also those that failed before training recorded its start.
    if (!ctx.cancellationSignal.aborted) {
      await act.db.recordAttempt({ sweepId: input.sweepId, trialId: input.trialId, number: input.trial, params: input.params, variant }, attempt);
    }
    throw err;
  } finally {
    watch.dispose();
  }
}

interface TrainingRun {
  input: TrialInput;
  variant: VariantConfig;
  checkpoint: string;
  attempt: number;
  watch: TrainingWatch;
}

/**
 * Trains the trial's variant, recording its start and every epoch but the last (finishTrial writes
 * that one with the result); also says when training began, after the dataset was checked.
 */
async function train(
  { db, config, identity, backend, trialLog, warn, datasetFor }: ActivityContext,
  { input, variant, checkpoint, attempt, watch }: TrainingRun,
): Promise<{ trained: TrainResult; trainingStarted: number }> {
  const { training } = input;
  const trialRow = { sweepId: input.sweepId, trialId: input.trialId, number: input.trial, params: input.params, variant };
  // The last epoch's row is written with the result by finishTrial (one commit less per trial).
  // A crash in between loses nothing: the retry finds that epoch's checkpoint, trains nothing,
  // and records the result with every epoch.
  const finalEpoch = Math.min(input.untilEpoch, variant.epochs);
  const dataset = await datasetFor(training.dataset);
  const trainingStarted = performance.now();
  const trained = await runTraining(
    {
      variant,
      dataset,
      backend: training.backend === 'auto' ? backend : training.backend,
      untilEpoch: input.untilEpoch,
      earlyStopping: training.earlyStopping,
      checkpointDir: checkpoint,
      s3: config.s3,
      checkpointOwner: { owner: `sweep ${input.sweepId}, trial ${input.trialId}`, setting: 'SWEEP_ARTIFACTS' },
      ...(training.compile === false && { compile: false }),
      ...(training.xla && { xla: true }),
    },
    {
      signal: watch.signal,
      onLog: trialLog && ((line: string) => trialLog(`[${input.trialId}] ${line}`)),
      onWarning: warn,
      onStart: async (info: TrainingStarted) => {
        await db.markTrialRunning(trialRow, { worker: identity, backend: info.backend, runtime: info.runtime, paramCount: info.paramCount, attempt, untilEpoch: input.untilEpoch });
      },
      onEpoch: async (m: EpochMetrics) => {
        watch.noteEpoch(m.epoch);
        if (m.epoch < finalEpoch) {
          await db.recordEpoch(input.trialId, m, identity);
          watch.heartbeat();
        }
        watch.stopIfDraining();
      },
    },
  );
  return { trained, trainingStarted };
}

/** Training stopped between batches: a worker shutting down hands the trial to another worker; a cancellation ends it. */
function stoppedFailure({ identity, draining }: ActivityContext, ctx: Context, lastEpoch: number): Error {
  if (!ctx.cancellationSignal.aborted && draining?.aborted) {
    return ApplicationFailure.retryable(`worker ${identity} shut down after epoch ${lastEpoch}; the trial resumes from that checkpoint on another worker`, 'WorkerShutdown');
  }
  return new CancelledFailure('trial cancelled between batches; checkpoint kept');
}

/**
 * Temp files of writers that died (a killed worker) are nobody's once the trial is done.
 * Best effort: the result is recorded, and sweep gc frees what this misses.
 */
async function clearLeftovers({ config, warn }: ActivityContext, input: TrialInput): Promise<void> {
  await openArtifactStore(config.artifactsDir, config.s3)
    .then((artifacts) => artifacts.clear(`${input.sweepId}/${input.trialId}`, { leftoversOnly: true }))
    .catch((err: unknown) => warn(`sweep ${input.sweepId}, trial ${input.trialId}: could not remove leftover temp files under SWEEP_ARTIFACTS: ${(err as Error).message}`));
}

export function createActivities(deps: ActivityDeps) {
  const act: ActivityContext = { ...deps, warn: deps.warn ?? ((line) => console.error(line)), datasetFor: verifiedDatasets(deps.config, deps.identity) };
  const { db, config, warn } = act;
  return failingByType({
    async recordSweepStatus(input: { sweepId: string; status: SweepStatus }): Promise<void> {
      await db.setSweepStatus(input.sweepId, input.status);
    },

    trainTrial: (input: TrialInput): Promise<TrialResult> => trainTrial(act, input),

    /** A trial's outcome when training could not record it (failed for good, cancelled, terminated). */
    async recordTrialResult(result: TrialResult, model: BaseModel): Promise<void> {
      // The trial may have failed before training recorded its row.
      await db.upsertTrial({ sweepId: result.sweepId, trialId: result.trialId, number: result.trial, params: result.params, variant: variantOf(model, result.params) });
      await finishTrial(db, result);
    },

    async exportBestModel(input: { sweepId: string; trialId: string; model: BaseModel; params: Params }): Promise<string> {
      const outDir = bestModelDir(config, input.sweepId);
      const checkpoint = checkpointDir(config, input.sweepId, input.trialId);
      const sweep = await db.getSweep(input.sweepId);
      const out = waitingOutFullDisk(await openArtifactStore(outDir, config.s3), { owner: `sweep ${input.sweepId}, best model (trial ${input.trialId})`, setting: 'SWEEP_MODELS', warn });
      await exportModel(checkpoint, variantOf(input.model, input.params), out, config.s3, sweep && exportedDataset(sweep, config.cacheDir));
      await db.recordArtifact({ sweepId: input.sweepId, trialId: input.trialId, kind: 'best-model', uri: outDir });
      return outDir;
    },

    async finishSweep(input: { sweepId: string; status: TerminalSweepStatus; bestTrialId?: string; failureReason?: string }): Promise<void> {
      await db.finishSweep(input.sweepId, { status: input.status, bestTrialId: input.bestTrialId ?? null, failureReason: input.failureReason ?? null });
    },
  });
}

export type Activities = ReturnType<typeof createActivities>;
