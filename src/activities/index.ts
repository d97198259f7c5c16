/**
 * Temporal activities: thin adapters from workflow steps to the domain modules (db, data, train).
 * Every write is idempotent, so a retried activity never duplicates or regresses a row.
 */
import { ApplicationFailure, CancelledFailure, Context } from '@temporalio/activity';
import path from 'node:path';
import type { Config } from '../config/index.js';
import type { ResultsStore } from '../db/types.js';
import { prepareDatasetCached } from '../data/index.js';
import { isUserError } from '../errors.js';
import { exportModel } from '../train/export.js';
import { runTraining, TrainingError } from '../train/runner.js';
import { objectiveOf } from '../strategy/objective.js';
import type { BackendName, EpochMetrics } from '../train/types.js';
import type { VariantConfig } from '../model/config.js';
import type { DatasetRef, TrialInput, TrialResult } from '../../workflows/types.js';
import type { SweepStatus, TerminalSweepStatus } from '../db/types.js';

export interface ActivityDeps {
  db: ResultsStore;
  config: Config;
  /** Worker identity stored with each trial and epoch. */
  identity: string;
  /** This worker's backend choice; a spec's explicit `training.backend` overrides 'auto'. */
  backend: BackendName | 'auto';
  /** Where training processes' log lines go (e.g. which backend runs); dropped when absent. */
  trialLog?: (line: string) => void;
}

/** Where a trial's checkpoint lives: under SWEEP_ARTIFACTS, which every worker must share. */
export const checkpointDir = (config: Config, sweepId: string, trialId: string) => path.join(config.artifactsDir, sweepId, trialId, 'checkpoint');
export const bestModelDir = (config: Config, sweepId: string) => path.join(config.modelsDir, sweepId, 'best');

export function createActivities({ db, config, identity, backend, trialLog }: ActivityDeps) {
  async function datasetFor(ref: DatasetRef) {
    const manifest = await prepareDatasetCached(ref.spec, { seqLen: ref.seqLen, baseDir: ref.baseDir, cacheDir: config.cacheDir });
    if (manifest.fingerprint !== ref.fingerprint) {
      throw ApplicationFailure.nonRetryable(
        `dataset fingerprint mismatch on worker ${identity}: the sweep was validated on ${ref.fingerprint.slice(0, 12)}, this worker's copy is ${manifest.fingerprint.slice(0, 12)}; give every worker the same files`,
        'DatasetMismatch',
      );
    }
    return manifest;
  }

  return {
    async recordSweepStatus(input: { sweepId: string; status: SweepStatus }): Promise<void> {
      await db.setSweepStatus(input.sweepId, input.status);
    },

    async recordTrialStart(input: TrialInput): Promise<void> {
      await db.upsertTrial({ sweepId: input.sweepId, trialId: input.trialId, number: input.trial, params: input.params, variant: input.variant });
    },

    async trainTrial(input: TrialInput): Promise<TrialResult> {
      const ctx = Context.current();
      const chosen = input.backend === 'auto' ? backend : input.backend;
      // Heartbeat on a timer, not per epoch: preparing a large dataset on a new worker, or one epoch,
      // can outlast the heartbeat timeout, and the heartbeat is how cancellation reaches the activity.
      let lastEpoch = 0;
      ctx.heartbeat({ epoch: 0 });
      const beat = setInterval(() => ctx.heartbeat({ epoch: lastEpoch }), 5_000);
      try {
        const dataset = await datasetFor(input.dataset);
        const result = await runTraining(
          { variant: input.variant, dataset, backend: chosen, untilEpoch: input.untilEpoch, earlyStopping: input.earlyStopping, checkpointDir: checkpointDir(config, input.sweepId, input.trialId) },
          {
            signal: ctx.cancellationSignal,
            onLog: trialLog && ((line: string) => trialLog(`[${input.trialId}] ${line}`)),
            onStart: async (info: { backend: BackendName; params: number }) => {
              await db.markTrialRunning(input.trialId, { worker: identity, backend: info.backend, paramCount: info.params, attempt: ctx.info.attempt, untilEpoch: input.untilEpoch });
            },
            onEpoch: async (m: EpochMetrics) => {
              lastEpoch = m.epoch;
              await db.recordEpoch(input.trialId, m, identity);
              ctx.heartbeat({ epoch: m.epoch });
            },
          },
        );
        if (result.status === 'cancelled') throw new CancelledFailure('trial cancelled between batches; checkpoint kept');
        return {
          sweepId: input.sweepId,
          trial: input.trial,
          trialId: input.trialId,
          status: result.status,
          epochsTrained: result.epochs.length,
          bestEpoch: result.bestEpoch,
          bestValAuc: result.bestValAuc,
          params: result.params,
          objectiveByEpoch: result.epochs.map((e) => objectiveOf(input.objective.metric, e)),
          backend: result.backend,
          epochs: result.epochs,
          worker: identity,
        };
      } catch (err) {
        if (isUserError(err)) throw ApplicationFailure.nonRetryable(err.message, 'UserError');
        // Deterministic failures (non-finite loss, invalid variant) would fail again on retry.
        if (err instanceof TrainingError) throw ApplicationFailure.create({ message: err.message, type: err.name, nonRetryable: err.nonRetryable });
        throw err;
      } finally {
        clearInterval(beat);
      }
    },

    async recordTrialResult(result: TrialResult): Promise<void> {
      await db.finishTrial(result.trialId, {
        status: result.status,
        epochsTrained: result.epochsTrained,
        bestEpoch: result.bestEpoch || null,
        bestValAuc: Number.isFinite(result.bestValAuc) ? result.bestValAuc : null,
        failureReason: result.failureReason ?? null,
        paramCount: result.params || undefined,
        epochs: result.epochs,
        worker: result.worker,
      });
    },

    async exportBestModel(input: { sweepId: string; trialId: string; variant: VariantConfig }): Promise<string> {
      const outDir = bestModelDir(config, input.sweepId);
      await exportModel(checkpointDir(config, input.sweepId, input.trialId), input.variant, outDir);
      await db.recordArtifact({ sweepId: input.sweepId, trialId: input.trialId, kind: 'best-model', uri: outDir });
      return outDir;
    },

    async finishSweep(input: { sweepId: string; status: TerminalSweepStatus; bestTrialId?: string }): Promise<void> {
      await db.finishSweep(input.sweepId, { status: input.status, bestTrialId: input.bestTrialId ?? null });
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
