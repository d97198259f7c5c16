import {
  ApplicationFailure,
  CancellationScope,
  ContinueAsNew,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  executeChild,
  isCancellation,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../src/activities/index.js';
import { isFinishedTrialStatus, type TerminalSweepStatus, type TerminalTrialStatus } from '../src/domain/status.js';
import { pickBest, rankingOf, rankTrials, sweepStrategy, topCandidates, type Decision, type Ranking, type StrategyState, type TrialMetrics } from '../src/strategy/index.js';
import { SweepIdAttr, SweepNameAttr, TrialNumberAttr } from './search-attributes.js';
import { describeFailure } from './errors.js';
import { sweepDetails, trainSummary, trialSummary } from './summary.js';
import { cancelledResult, failedResult, runTrial, trialWorkflow } from './trial.js';
import {
  cancelSignal,
  nonRetryableErrors,
  pauseSignal,
  pauseUpdate,
  progressQuery,
  resumeSignal,
  resumeUpdate,
  type BestSoFar,
  type LeaderboardEntry,
  type MeasuredEntry,
  type RetriedTrial,
  type SweepInput,
  type SweepResult,
  type SweepStatus,
  type TrialInput,
  type TrialResult,
} from './types.js';

/** Quick writes of the sweep's own rows, on the orchestration queue. */
const sweepRecords = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', nonRetryableErrorTypes: nonRetryableErrors },
});

/** Patch id: each trial is one activity of the sweep workflow instead of a child workflow. */
export const TRIALS_AS_ACTIVITIES = 'trials-as-activities';

export const trialWorkflowId = (sweepId: string, trial: number) => `${sweepId}-trial-${trial}`;

/** Trials the workflow's current details rank (Temporal UI). */
export const LEADERBOARD_SIZE = 5;

const emptyCounts = (): Record<TerminalTrialStatus, number> => ({ completed: 0, 'early-stopped': 0, failed: 0, cancelled: 0 });

/**
 * One sweep: asks the strategy what to run, runs each trial as one training activity (labelled with
 * the trial's params in the UI), at most `maxConcurrentTrials` at once, and picks the best by validation ROC AUC.
 * Everything it starts from is plain JSON in its input (planned outside, src/sweep-spec/plan.ts); all
 * state is carried explicitly across continue-as-new, which happens between trials once the
 * history grows long. An error it cannot handle fails it with the sweep row recorded 'failed'.
 */
export async function sweepWorkflow(input: SweepInput): Promise<SweepResult> {
  const sweep = new Sweep(input);
  sweep.listen();
  try {
    return await sweep.run();
  } catch (err) {
    if (err instanceof ContinueAsNew) throw err;
    const reason = describeFailure(err);
    await CancellationScope.nonCancellable(() => sweepRecords.finishSweep({ sweepId: input.sweepId, status: 'failed', failureReason: reason }));
    throw ApplicationFailure.create({ type: 'SweepFailed', message: reason, nonRetryable: true, cause: err instanceof Error ? err : undefined });
  }
}

/** The sweep's state and the named steps that change it (signals, trial launches, results). */
class Sweep {
  private strategy: StrategyState;
  private paused: boolean;
  private best: BestSoFar | undefined;
  private leaderboard: LeaderboardEntry[];
  private measured: MeasuredEntry[];
  private readonly ranking: Ranking | undefined;
  private readonly counts: Record<TerminalTrialStatus, number>;
  private readonly trialRunsBefore: number;
  private trialRunsThisHistory = 0;
  private cancelled = false;
  /** No trial starts any more: finish() waits for the running ones and records the outcome. */
  private finishing = false;
  private recordedStatus: SweepStatus = 'running';
  private readonly running = new Set<number>();
  private readonly finished: TrialResult[] = [];
  private readonly trialsScope = new CancellationScope();
  /** A retry run's trials not yet started. */
  private readonly retryQueue: RetriedTrial[];

  constructor(private readonly input: SweepInput) {
    const carried = input.carried;
    this.strategy = carried?.strategy ?? sweepStrategy.initial(input.setup);
    this.paused = carried?.paused ?? false;
    this.counts = carried?.counts ?? emptyCounts();
    this.trialRunsBefore = carried?.trialRuns ?? 0;
    this.best = carried?.best;
    this.leaderboard = carried?.leaderboard ?? [];
    this.measured = carried?.measured ?? [];
    this.ranking = rankingOf(input.setup);
    this.retryQueue = [...(input.retry ?? [])];
  }

  private get status(): SweepStatus {
    return this.cancelled ? 'cancelled' : this.paused ? 'paused' : 'running';
  }

  listen(): void {
    setHandler(progressQuery, () => ({
      sweepId: this.input.sweepId,
      status: this.status,
      totalTrials: this.input.totalTrials,
      running: [...this.running],
      counts: { ...this.counts },
      best: this.best,
    }));
    setHandler(pauseSignal, () => void this.setPaused(true));
    setHandler(resumeSignal, () => void this.setPaused(false));
    // Registering update handlers adds no command, so histories recorded without them replay unchanged.
    setHandler(pauseUpdate, () => this.setPaused(true), { validator: () => this.validateSetPaused(true) });
    setHandler(resumeUpdate, () => this.setPaused(false), { validator: () => this.validateSetPaused(false) });
    setHandler(cancelSignal, () => this.cancel());
  }

  private setPaused(paused: boolean): SweepStatus {
    this.paused = paused;
    this.publishDetails();
    return this.status;
  }

  /** The pause and resume updates' validator: throws why the sweep cannot be paused (or resumed) now; Temporal rejects the update, unrecorded. */
  private validateSetPaused(paused: boolean): void {
    const { sweepId } = this.input;
    if (this.cancelled) throw new Error(`sweep ${sweepId} is cancelled`);
    if (this.finishing) throw new Error(`sweep ${sweepId} is finishing: it has no trials left to start`);
    if (this.paused === paused) throw new Error(paused ? `sweep ${sweepId} is already paused` : `sweep ${sweepId} is running, not paused`);
  }

  private cancel(): void {
    this.cancelled = true;
    this.trialsScope.cancel();
    this.publishDetails();
  }

  async run(): Promise<SweepResult> {
    const { sweepId } = this.input;
    this.publishDetails();
    try {
      if (!this.input.carried) await sweepRecords.recordSweepStatus({ sweepId, status: 'running' });
      for (;;) {
        this.absorbFinished();
        if (this.status !== this.recordedStatus && !this.cancelled) {
          this.recordedStatus = this.status;
          await sweepRecords.recordSweepStatus({ sweepId, status: this.recordedStatus });
        }
        const draining = this.historyIsLong();
        const done = !this.cancelled && !this.paused && !draining && this.launchWhileSlotsFree();
        if (this.running.size === 0 && (done || this.cancelled)) break;
        if (this.running.size === 0 && draining) {
          await condition(allHandlersFinished);
          return await continueAsNew<typeof sweepWorkflow>({ ...this.input, carried: this.carry(), ...(this.input.retry && { retry: this.retryQueue }) });
        }
        const [pausedBefore, cancelledBefore] = [this.paused, this.cancelled];
        await condition(() => this.finished.length > 0 || this.paused !== pausedBefore || this.cancelled !== cancelledBefore);
      }
    } catch (err) {
      // Cancelled from outside (Temporal UI or API) rather than by the cancel signal: the same outcome.
      // The cancellation reaches the running trials through trialsScope, a child of the root scope.
      if (!isCancellation(err)) throw err;
      this.cancelled = true;
    }
    return CancellationScope.nonCancellable(() => this.finish());
  }

  /** Starts what the strategy decides while slots are free; true when the strategy has nothing left. */
  private launchWhileSlotsFree(): boolean {
    if (this.input.retry) return this.launchRetriedWhileSlotsFree();
    while (this.running.size < this.input.maxConcurrentTrials) {
      const next = sweepStrategy.next(this.strategy);
      this.strategy = next.state;
      const decision = next.decision;
      if (decision.kind === 'start' || decision.kind === 'continue') this.launchDecided(decision);
      // 'wait' with nothing running would wait forever: treat it as done.
      else return decision.kind === 'done' || this.running.size === 0;
    }
    return false;
  }

  /** A retry run: the listed trials instead of the strategy's decisions; true when all have started. */
  private launchRetriedWhileSlotsFree(): boolean {
    while (this.running.size < this.input.maxConcurrentTrials) {
      const next = this.retryQueue.shift();
      if (!next) return true;
      const { sweepId, training } = this.input;
      const { trial, params, untilEpoch, attemptsBefore } = next;
      this.launch({ sweepId, trialId: trialWorkflowId(sweepId, trial), trial, params, untilEpoch, resumes: true, training, attemptsBefore });
    }
    return false;
  }

  private launchDecided(decision: Extract<Decision, { kind: 'start' | 'continue' }>): void {
    const { sweepId, training } = this.input;
    const { trial, params, untilEpoch } = decision;
    this.launch({ sweepId, trialId: trialWorkflowId(sweepId, trial), trial, params, untilEpoch, resumes: decision.kind === 'continue', training });
  }

  private launch(trialInput: TrialInput): void {
    const { sweepId, training } = this.input;
    const { trial, params, trialId } = trialInput;
    void this.trialsScope
      .run(() => this.runTrial(trialInput))
      .then(
        (result) => void this.finished.push(result),
        (err: unknown) => {
          // runTrial records its own outcome; this is one cancelled, or a trial workflow (older sweeps) terminated from the UI.
          if (isCancellation(err) || this.cancelled) return void this.finished.push(cancelledResult({ sweepId, trial, trialId, params }));
          // Terminated or timed out: it could not record itself.
          const failed = failedResult({ sweepId, trial, trialId, params }, `trial workflow ended: ${(err as Error).message}`);
          return sweepRecords.recordTrialResult(failed, training.model).then(() => void this.finished.push(failed));
        },
      );
    this.running.add(trial);
    this.trialRunsThisHistory++;
    this.publishDetails();
  }

  /**
   * One trial in the sweep's own history: a single training activity (runTrial). A child workflow
   * per trial cost about 200 ms of workflow tasks per trial (bench:overhead); sweeps started before
   * this patch keep running their trials as child workflows, with their own page in the UI.
   */
  private runTrial(input: TrialInput): Promise<TrialResult> {
    const { trial, params, untilEpoch, resumes, training } = input;
    if (patched(TRIALS_AS_ACTIVITIES)) return runTrial(input, `${trialSummary(trial, params)} · ${trainSummary(untilEpoch, resumes, training.backend)}`);
    return executeChild(trialWorkflow, {
      workflowId: input.trialId,
      args: [input],
      staticSummary: trialSummary(trial, params),
      memo: { params, untilEpoch },
      typedSearchAttributes: [
        { key: SweepIdAttr, value: input.sweepId },
        { key: SweepNameAttr, value: this.input.name },
        { key: TrialNumberAttr, value: trial },
      ],
      cancellationType: 'WAIT_CANCELLATION_COMPLETED',
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    });
  }

  private absorbFinished(): void {
    if (this.finished.length === 0) return;
    for (const result of this.finished.splice(0)) this.absorb(result);
    this.publishDetails();
  }

  private absorb(result: TrialResult): void {
    this.running.delete(result.trial);
    this.counts[result.status]++;
    const metrics = trialMetricsOf(result);
    // A retry run's trials were never the strategy's decisions in this history.
    if (!this.input.retry)
      this.strategy = sweepStrategy.report(this.strategy, {
        trial: result.trial,
        status: result.status,
        epochsTrained: result.epochsTrained,
        objectiveByEpoch: result.objectiveByEpoch,
        ...(metrics && { metrics }),
      });
    if (!isFinishedTrialStatus(result.status) || result.bestValAuc === null) return;
    const candidate: BestSoFar = { trial: result.trial, trialId: result.trialId, valAuc: result.bestValAuc, bestEpoch: result.bestEpoch, paramCount: result.paramCount, params: result.params };
    if (this.ranking && metrics) {
      this.rank({ ...candidate, metrics }, this.ranking);
      return;
    }
    this.best = pickBest(this.best ? [this.best, candidate] : [candidate]);
    // A promoted trial reports again: its newer result replaces the older one.
    this.leaderboard = topCandidates([...this.leaderboard.filter((e) => e.trial !== result.trial), candidate], LEADERBOARD_SIZE);
  }

  /** Several objectives or constraints: the best model is the first of the leaderboard (src/strategy/pareto.ts rankTrials). */
  private rank(entry: MeasuredEntry, ranking: Ranking): void {
    this.measured = [...this.measured.filter((e) => e.trial !== entry.trial), entry];
    const order = rankTrials(this.measured, ranking.objectives, ranking.constraints).map(({ entry: { metrics: _, ...best } }) => best);
    this.best = order[0];
    this.leaderboard = order.slice(0, LEADERBOARD_SIZE);
  }

  private historyIsLong(): boolean {
    const { trialRunsPerHistory } = this.input;
    return trialRunsPerHistory !== undefined ? this.trialRunsThisHistory >= trialRunsPerHistory : workflowInfo().continueAsNewSuggested;
  }

  private carry() {
    return {
      strategy: this.strategy,
      paused: this.paused,
      counts: this.counts,
      trialRuns: this.trialRunsBefore + this.trialRunsThisHistory,
      best: this.best,
      leaderboard: this.leaderboard,
      ...(this.ranking && { measured: this.measured }),
    };
  }

  /** Waits for the running trials (cancelled ones stop between batches and record themselves), exports the best model, records the outcome. */
  private async finish(): Promise<SweepResult> {
    this.finishing = true;
    while (this.running.size > 0) {
      await condition(() => this.finished.length > 0);
      this.absorbFinished();
    }
    const { sweepId, training } = this.input;
    const best = this.best;
    const failureReason = !this.cancelled && !best ? `no trial produced a result (${this.counts.failed} failed, ${this.counts.cancelled} cancelled)` : undefined;
    const status: TerminalSweepStatus = this.cancelled ? 'cancelled' : failureReason ? 'failed' : 'completed';
    let result: SweepResult = { sweepId, status, counts: this.counts, ...(failureReason && { failureReason }) };
    if (best) {
      const modelPath = await exportActivity(training.trainQueue).exportBestModel({ sweepId, trialId: best.trialId, model: training.model, params: best.params });
      result = { ...result, best: { ...best, modelPath } };
    }
    await sweepRecords.finishSweep({ sweepId, status, bestTrialId: best?.trialId, failureReason });
    this.publishDetails(status);
    await condition(allHandlersFinished);
    return result;
  }

  /** The sweep's live state on its Temporal UI page: progress counts and the top trials. */
  private publishDetails(status: string = this.status): void {
    setCurrentDetails(sweepDetails({ status, totalTrials: this.input.totalTrials, running: this.running.size, counts: this.counts, leaderboard: this.leaderboard }));
  }
}

/** A trial's measurements at its best epoch; none for a trial that failed or was cancelled. */
function trialMetricsOf(result: TrialResult): TrialMetrics | undefined {
  if (!isFinishedTrialStatus(result.status)) return undefined;
  return {
    valAuc: result.bestValAuc,
    valPrAuc: result.bestValPrAuc ?? null,
    valLoss: result.bestValLoss ?? null,
    params: result.paramCount,
    inferenceMsPer1k: result.inferenceMsPer1k ?? null,
    trainSeconds: result.trainSeconds ?? null,
  };
}

function exportActivity(trainQueue: string) {
  return proxyActivities<Activities>({
    taskQueue: trainQueue,
    startToCloseTimeout: '30 minutes',
    retry: { maximumAttempts: 5, nonRetryableErrorTypes: nonRetryableErrors },
    summary: 'export the best model',
  });
}
