/**
 * `sweep start --timings`: where a sweep's wall time went. The CLI's own phases are timed here;
 * each trial's phases are measured by its training activity and training process and come back
 * with the trial's result (TrialResult.timings), summed here over the trials.
 */
import type { TrialTimings } from '../../workflows/types.js';
import type { TrainingPhase } from '../train/types.js';
import { table } from './report.js';

export class PhaseTimings {
  private readonly phases: { name: string; ms: number }[] = [];
  /** Parts of a phase by the phase's name: shown indented under it, not counted in the total. */
  private readonly parts = new Map<string, { name: string; ms: number }[]>();
  private readonly started: number;

  /** `startedAt`: where the total starts (0 with the default clock: this process's start). */
  constructor(
    private readonly now: () => number = () => performance.now(),
    startedAt = now(),
  ) {
    this.started = startedAt;
  }

  /** Records a phase that ran from `since` until now. */
  ran(name: string, since: number): void {
    this.phases.push({ name, ms: this.now() - since });
  }

  /** Runs `work`, recording its wall time under `name` (also when it throws). */
  async time<T>(name: string, work: () => Promise<T>): Promise<T> {
    const started = this.now();
    try {
      return await work();
    } finally {
      this.phases.push({ name, ms: this.now() - started });
    }
  }

  /** A part of the phase `phase` (which may still be running), shown indented under it. */
  detail(phase: string, name: string, ms: number): void {
    this.parts.set(phase, [...(this.parts.get(phase) ?? []), { name, ms }]);
  }

  /** The wall time of the phase `name` (0 when it did not run). */
  msOf(name: string): number {
    return this.phases.find((p) => p.name === name)?.ms ?? 0;
  }

  /** The phases in order (their parts indented), then what no phase covered, then the total. */
  table(): string {
    const total = this.now() - this.started;
    const covered = this.phases.reduce((sum, p) => sum + p.ms, 0);
    const rows = [
      ...this.phases.flatMap((p) => [p, ...(this.parts.get(p.name) ?? []).map((part) => ({ ...part, name: `  ${part.name}` }))]),
      { name: 'other (between phases)', ms: total - covered },
      { name: 'total', ms: total },
    ];
    return table(
      ['phase', 'seconds', 'share'],
      rows.map((r) => [r.name, seconds(r.ms), share(r.ms, total)]),
    );
  }
}

const TRAINING_PHASE_NAMES: Record<TrainingPhase, string> = {
  processWait: 'wait for a training process (fork, Node, tsx, warm-up)',
  backendLoad: 'backend load (tfjs-node library)',
  checkpointRead: 'checkpoint read',
  modelBuild: 'model build (weights, optimizer, compiled step)',
  firstStep: 'first step (traces the compiled function)',
  batches: 'training batches',
  validation: 'validation (each epoch)',
  checkpointWrite: 'checkpoint writes (each epoch)',
  inferenceTiming: 'inference timing (no epoch in the call timed it)',
};

/**
 * The trials' side of the run: each phase summed over the training activities that reported one,
 * as a share of the training slots' time (slots x the run's wall time); what the activities did
 * not cover is the slots' idle time (waiting for a task, and fewer trials left than slots).
 */
export function trialPhasesTable(trials: readonly TrialTimings[], slots: number, runMs: number): string {
  const slotMs = slots * runMs;
  const sum = (of: (t: TrialTimings) => number) => trials.reduce((total, t) => total + of(t), 0);
  const inProcess = (t: TrialTimings) => Object.values(t.phases).reduce((a, b) => a + b, 0);
  const rows: [string, number][] = [
    ['dataset check (cache, fingerprint)', sum((t) => t.dataset)],
    ...(Object.keys(TRAINING_PHASE_NAMES) as TrainingPhase[]).map((phase): [string, number] => [TRAINING_PHASE_NAMES[phase], sum((t) => t.phases[phase])]),
    ['IPC, trial start and epoch rows', sum((t) => t.training - inProcess(t))],
    ['result bookkeeping (result row, temp files)', sum((t) => t.activity - t.dataset - t.training)],
    ['slots idle (between trials, fewer trials than slots)', slotMs - sum((t) => t.activity)],
  ];
  const perTrial = (ms: number) => (trials.length > 0 ? seconds(ms / trials.length) : '');
  return table(
    [`trial phases (${trials.length} training run(s) on ${slots} slot(s))`, 'seconds', 'per run', 'share'],
    [...rows.map(([name, ms]) => [name, seconds(ms), perTrial(ms), share(ms, slotMs)]), [`total (${slots} slot(s) x the run)`, seconds(slotMs), '', share(slotMs, slotMs)]],
  );
}

const seconds = (ms: number) => (ms / 1000).toFixed(2);
const share = (ms: number, total: number) => (total > 0 ? `${((100 * ms) / total).toFixed(0)}%` : '');
