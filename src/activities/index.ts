/**
 * Temporal activities: thin adapters from workflow steps to the domain modules (db, data, train).
 * Every write is idempotent, so a retried activity never duplicates or regresses a row.
 */
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import { joinLocation, openArtifactStore, waitingOutFullDisk } from '../artifacts/index.js';
import type { Config } from '../config/index.js';
import type { ResultsStore } from '../db/types.js';
import { prepareDatasetCached, verifyFingerprint } from '../data/index.js';
import type { DatasetManifest } from '../data/types.js';
import { isUserError } from '../errors.js';
import { checkedVariantOf, variantOf } from '../sweep-spec/plan.js';
import { exportedDataset, exportModel } from '../train/export.js';
import { runTraining, TrainingError, type TrainingStarted } from '../train/runner.js';
import { objectiveOf } from '../strategy/objective.js';
import type { Params } from '../strategy/index.js';
import type { BackendName, EpochMetrics } from '../train/types.js';
import type { BaseModel, DatasetRef, TrialInput, TrialResult } from '../../workflows/types.js';
import { finiteOrNull } from '../domain/metrics.js';
import type { SweepStatus, TerminalSweepStatus } from '../domain/status.js';
import { idProblem } from '../domain/ids.js';

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
  if (problem) throw ApplicationFailure.nonRetryable(problem, 'InvalidId');
  return id;
}

export function createActivities({ db, config, identity, backend, trialLog, warn = (line) => console.error(line), draining }: ActivityDeps) {
  // Manifests already checked against a sweep's fingerprint: prepareDatasetCached hands back the
  // same object while the files' size and mtime are unchanged, so a trial re-checks nothing.
  const verified = new WeakMap<DatasetManifest, string>();
  async function datasetFor(ref: DatasetRef): Promise<DatasetManifest> {
    const manifest = await prepareDatasetCached(ref.spec, { seqLen: ref.seqLen, baseDir: ref.baseDir, cacheDir: config.cacheDir });
    if (verified.get(manifest) === ref.fingerprint) return manifest;
    try {
      verifyFingerprint(manifest, ref.fingerprint);
    } catch (err) {
      if (isUserError(err)) throw ApplicationFailure.nonRetryable(`on worker ${identity}: ${err.message}`, 'DatasetMismatch');
      throw err;
    }
    verified.set(manifest, ref.fingerprint);
    return manifest;
  }

  async function finishTrial(result: TrialResult): Promise<void> {
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

  return {
    async recordSweepStatus(input: { sweepId: string; status: SweepStatus }): Promise<void> {
      await db.setSweepStatus(input.sweepId, input.status);
    },

    /**
     * The whole trial in one activity: records its start (one idempotent upsert), trains, records
     * every epoch and the result. A retry after any of these writes finds them done: the trial row
     * ignores transitions out of a terminal status and training resumes from the checkpoint.
     */
    async trainTrial(input: TrialInput): Promise<TrialResult> {
      const ctx = Context.current();
      const { training } = input;
      const checkpoint = checkpointDir(config, input.sweepId, input.trialId);
      const chosen = training.backend === 'auto' ? backend : training.backend;
      const { variant, problems } = checkedVariantOf(training.model, input.params);
      // The row is written when training starts (markTrialRunning creates it if missing); a trial
      // that fails before that is recorded by the workflow (recordTrialResult).
      if (problems.length > 0) throw ApplicationFailure.nonRetryable(`invalid variant for params ${JSON.stringify(input.params)}: ${problems.join('; ')}`, 'InvalidVariant');
      // Heartbeat on a timer as well as per epoch: preparing a large dataset on a new worker, or one
      // epoch, can outlast the heartbeat timeout, and the heartbeat is how cancellation reaches the
      // activity. None at the start or after the last epoch: each is a write on the Temporal server,
      // and a short trial would otherwise pay for one that carries nothing.
      let lastEpoch = 0;
      // The last epoch's row is written with the result by finishTrial (one commit less per trial).
      // A crash in between loses nothing: the retry finds that epoch's checkpoint, trains nothing,
      // and records the result with every epoch.
      const finalEpoch = Math.min(input.untilEpoch, variant.epochs);
      // A retried sweep's trial keeps counting the attempts of its earlier runs.
      const attempt = ctx.info.attempt + (input.attemptsBefore ?? 0);
      // Stops training between batches: on cancellation at once, on worker shutdown after the epoch in progress.
      const stop = new AbortController();
      const cancelled = () => stop.abort();
      ctx.cancellationSignal.addEventListener('abort', cancelled, { once: true });
      const beat = setInterval(() => ctx.heartbeat({ epoch: lastEpoch }), 5_000);
      try {
        const dataset = await datasetFor(training.dataset);
        const trained = await runTraining(
          {
            variant,
            dataset,
            backend: chosen,
            untilEpoch: input.untilEpoch,
            earlyStopping: training.earlyStopping,
            checkpointDir: checkpoint,
            s3: config.s3,
            checkpointOwner: { owner: `sweep ${input.sweepId}, trial ${input.trialId}`, setting: 'SWEEP_ARTIFACTS' },
            ...(training.compile === false && { compile: false }),
            ...(training.xla && { xla: true }),
          },
          {
            signal: stop.signal,
            onLog: trialLog && ((line: string) => trialLog(`[${input.trialId}] ${line}`)),
            onWarning: warn,
            onStart: async (info: TrainingStarted) => {
              await db.markTrialRunning(
                { sweepId: input.sweepId, trialId: input.trialId, number: input.trial, params: input.params, variant },
                {
                  worker: identity,
                  backend: info.backend,
                  runtime: info.runtime,
                  paramCount: info.paramCount,
                  attempt,
                  untilEpoch: input.untilEpoch,
                },
              );
            },
            onEpoch: async (m: EpochMetrics) => {
              lastEpoch = m.epoch;
              if (m.epoch < finalEpoch) {
                await db.recordEpoch(input.trialId, m, identity);
                ctx.heartbeat({ epoch: m.epoch });
              }
              if (draining?.aborted) stop.abort();
            },
          },
        );
        if (trained.status === 'cancelled' && !ctx.cancellationSignal.aborted && draining?.aborted) {
          throw ApplicationFailure.retryable(`worker ${identity} shut down after epoch ${lastEpoch}; the trial resumes from that checkpoint on another worker`, 'WorkerShutdown');
        }
        if (trained.status === 'cancelled') throw new CancelledFailure('trial cancelled between batches; checkpoint kept');
        const bestEpoch = trained.epochs[trained.bestEpoch - 1];
        const result: TrialResult = {
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
          objectiveByEpoch: trained.epochs.map((e) => finiteOrNull(objectiveOf(training.objective.metric, e))),
          backend: trained.backend,
          epochs: trained.epochs,
          worker: identity,
        };
        await finishTrial(result);
        // Temp files of writers that died (a killed worker) are nobody's once the trial is done.
        // Best effort: the result is recorded, and sweep gc frees what this misses.
        await openArtifactStore(config.artifactsDir, config.s3)
          .then((artifacts) => artifacts.clear(`${input.sweepId}/${input.trialId}`, { leftoversOnly: true }))
          .catch((err: unknown) => warn(`sweep ${input.sweepId}, trial ${input.trialId}: could not remove leftover temp files under SWEEP_ARTIFACTS: ${(err as Error).message}`));
        // The epochs are in the database; the workflow's history needs only the summary.
        return { ...result, epochs: undefined };
      } catch (err) {
        // The row counts Temporal's attempts, also those that failed before training recorded its start.
        if (!ctx.cancellationSignal.aborted) {
          await db.recordAttempt({ sweepId: input.sweepId, trialId: input.trialId, number: input.trial, params: input.params, variant }, attempt);
        }
        if (isUserError(err)) throw ApplicationFailure.nonRetryable(err.message, 'UserError');
        // Deterministic failures (non-finite loss, invalid variant) would fail again on retry.
        if (err instanceof TrainingError) throw ApplicationFailure.create({ message: err.message, type: err.name, nonRetryable: err.nonRetryable });
        throw err;
      } finally {
        clearInterval(beat);
        ctx.cancellationSignal.removeEventListener('abort', cancelled);
      }
    },

    /** A trial's outcome when training could not record it (failed for good, cancelled, terminated). */
    async recordTrialResult(result: TrialResult, model: BaseModel): Promise<void> {
      // The trial may have failed before training recorded its row.
      await db.upsertTrial({ sweepId: result.sweepId, trialId: result.trialId, number: result.trial, params: result.params, variant: variantOf(model, result.params) });
      await finishTrial(result);
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
  };
}

export type Activities = ReturnType<typeof createActivities>;
